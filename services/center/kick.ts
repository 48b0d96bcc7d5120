import type { Session } from '../../shared/contracts/register';
import { findRoom, type RoomKick } from '../../shared/contracts/room';
import { HttpError, badRequest } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import { CloseCode } from '../../shared/protocol/codes';
import type { CenterContext } from './context';
import { checkId } from './push-target';

const MAX_REASON = 200;
const DEFAULT_REASON = 'kicked by the app';

/** Checks a kick body: empty, or {reason?: string of at most 200 characters}. */
function parseReason(body: unknown): string {
  if (body === undefined) return DEFAULT_REASON;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object {reason?}');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'reason');
  if (unknown.length) throw badRequest(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  if (b.reason === undefined) return DEFAULT_REASON;
  if (typeof b.reason !== 'string' || b.reason.length > MAX_REASON) throw badRequest(`reason must be a string of at most ${MAX_REASON} characters`, 'bad_reason');
  return b.reason;
}

async function unavailable<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new HttpError(503, 'unavailable', `${what}: ${(err as Error)?.message ?? String(err)}`);
  }
}

async function sessionsOf(ctx: CenterContext, app: string, devices: string[]): Promise<Session[]> {
  const out: Session[] = [];
  const step = ctx.config.lookupBatch;
  for (let i = 0; i < devices.length; i += step) out.push(...(await ctx.register.lookupDevices(app, devices.slice(i, i + step))));
  return out;
}

/** Closes the sessions with CloseCode.Kicked, one kick() per room; answers {kicked} or 503 naming the rooms it could not reach. */
async function kick(ctx: CenterContext, app: string, sessions: Session[], reason: string): Promise<{ kicked: number }> {
  const byRoom = new Map<string, RoomKick[]>();
  for (const s of sessions) {
    let batch = byRoom.get(s.roomId);
    if (!batch) byRoom.set(s.roomId, (batch = []));
    batch.push({ connId: s.connId, code: CloseCode.Kicked, reason });
  }
  let kicked = 0;
  const failed: string[] = [];
  await Promise.all(
    [...byRoom].map(async ([roomId, batch]) => {
      const room = await findRoom(ctx.rooms, roomId);
      try {
        if (!room) throw new Error('no such room here');
        const n = await room.kick(batch);
        kicked += n;
      } catch (err) {
        failed.push(roomId);
        ctx.log.error('kick failed on a room', { app, room: roomId, connections: batch.length, err });
      }
    }),
  );
  if (failed.length) throw new HttpError(503, 'unavailable', `could not reach room(s) ${failed.sort().join(', ')}; kicked ${kicked} elsewhere`);
  ctx.log.info('kicked', { app, kicked, rooms: byRoom.size });
  return { kicked };
}

/** POST /v1/apps/:app/devices/:device/kick and POST /v1/apps/:app/users/:user/kick, body {reason?}. */
export function kickRoutes(ctx: CenterContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/apps/:app/devices/:device/kick',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const device = checkId(r.params.device, 'device id', 'bad_id');
        const reason = parseReason(r.body);
        const sessions = await unavailable('could not look up the device', () => sessionsOf(ctx, app.id, [device]));
        return { body: await kick(ctx, app.id, sessions, reason) };
      },
    },
    {
      method: 'POST',
      path: '/v1/apps/:app/users/:user/kick',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const user = checkId(r.params.user, 'user id', 'bad_id');
        const reason = parseReason(r.body);
        const sessions = await unavailable('could not look up the user', async () => {
          const devices = [...new Set((await ctx.register.userDevices(app.id, [user])).map((p) => p.device))];
          // A device the user once had may now hold another user's session: leave that one alone.
          return (await sessionsOf(ctx, app.id, devices)).filter((s) => s.user === user);
        });
        return { body: await kick(ctx, app.id, sessions, reason) };
      },
    },
  ];
}
