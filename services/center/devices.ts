import type { Session } from '../../shared/contracts/register';
import { HttpError, badRequest } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import type { CenterContext } from './context';
import { MAX_TAGS, checkId, checkIds } from './push-target';

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

/** Checks a PUT .../tags body {tags: [...]}: 0..MAX_TAGS tags (none clears them), deduplicated. */
function parseTags(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object {tags: [...]}');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'tags');
  if (unknown.length) throw badRequest(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  if (!('tags' in b)) throw badRequest('missing "tags": a list of tags ([] clears them)', 'bad_tags');
  return checkIds(b.tags, 'tags', MAX_TAGS, 'bad_tags', 'bad_tags', true);
}

/** GET /v1/apps/:app/devices/:device (with its tags), PUT .../devices/:device/tags, GET /v1/apps/:app/users/:user. */
export function deviceRoutes(ctx: CenterContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/apps/:app/devices/:device',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const device = checkId(r.params.device, 'device id', 'bad_id');
        const [sessions, tags] = await guarded('could not look up the device', () =>
          Promise.all([lookup(ctx, app.id, [device]), ctx.register.tagsOf(app.id, device)]),
        );
        const s = sessions.get(device);
        if (!s) return { body: { device, online: false, tags } };
        return { body: { device, online: true, room: s.roomId, since: s.since, user: s.user, tags } };
      },
    },
    {
      method: 'PUT',
      path: '/v1/apps/:app/devices/:device/tags',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const device = checkId(r.params.device, 'device id', 'bad_id');
        const tags = parseTags(r.body);
        await guarded('could not set the tags', () => ctx.register.setTags(app.id, device, tags));
        return { body: { device, tags } };
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
