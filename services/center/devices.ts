import type { Session } from '../../shared/contracts/register';
import { HttpError } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import type { CenterContext } from './context';
import { checkId } from './push-request';

async function lookup(ctx: CenterContext, app: string, devices: string[]): Promise<Map<string, Session>> {
  const out = new Map<string, Session>();
  const step = ctx.config.lookupBatch;
  for (let i = 0; i < devices.length; i += step) {
    for (const s of await ctx.register.lookupDevices(app, devices.slice(i, i + step))) out.set(s.device, s);
  }
  return out;
}

async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new HttpError(503, 'unavailable', `${what}: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** GET /v1/apps/:app/devices/:device and GET /v1/apps/:app/users/:user. */
export function deviceRoutes(ctx: CenterContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/apps/:app/devices/:device',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const device = checkId(r.params.device, 'device id', 'bad_id');
        const s = (await guarded('could not look up the device', () => lookup(ctx, app.id, [device]))).get(device);
        if (!s) return { body: { device, online: false } };
        return { body: { device, online: true, room: s.roomId, since: s.since, user: s.user } };
      },
    },
    {
      method: 'GET',
      path: '/v1/apps/:app/users/:user',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const user = checkId(r.params.user, 'user id', 'bad_id');
        const devices = await guarded('could not look up the user', async () => {
          const known = [...new Set((await ctx.register.userDevices(app.id, [user])).map((p) => p.device))];
          const online = await lookup(ctx, app.id, known);
          return known.map((device) => {
            const s = online.get(device);
            return s ? { device, online: true, room: s.roomId } : { device, online: false };
          });
        });
        return { body: { user, devices } };
      },
    },
  ];
}
