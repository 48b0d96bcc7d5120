import { AppError, isAppId, validateApp } from '../../shared/apps/apps-file';
import type { App } from '../../shared/contracts/apps';
import type { DrainOptions } from '../../shared/contracts/room';
import { HttpError, badRequest, notFound } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import { redactApp } from './admin';
import type { CenterContext } from './context';

const UPDATABLE = new Set(['name', 'singleLogin', 'routes', 'statusUrl']);

function object(body: unknown, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`body must be a JSON object ${what}`);
  return body as Record<string, unknown>;
}

/** Applies a PUT body to an app: given fields replace, null (or {} for routes) removes routes / statusUrl. */
function updated(app: App, body: unknown): App {
  const b = object(body, '{name?, singleLogin?, routes?, statusUrl?}');
  const unknown = Object.keys(b).filter((k) => !UPDATABLE.has(k));
  if (unknown.length) throw badRequest(`cannot update ${unknown.map((k) => JSON.stringify(k)).join(', ')}: only name, singleLogin, routes and statusUrl`);
  if (Object.keys(b).length === 0) throw badRequest('nothing to update: give name, singleLogin, routes or statusUrl');
  const next: Record<string, unknown> = { ...app, ...b };
  for (const k of ['routes', 'statusUrl'] as const) if (next[k] === null) delete next[k];
  if (next.routes && typeof next.routes === 'object' && Object.keys(next.routes).length === 0) delete next.routes;
  try {
    return validateApp(next, 'app');
  } catch (err) {
    if (err instanceof AppError) throw badRequest(err.message, 'bad_app');
    throw err;
  }
}

function intField(b: Record<string, unknown>, key: keyof DrainOptions, min: number, max: number): number | undefined {
  const v = b[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw badRequest(`${key} must be an integer from ${min} to ${max}`, 'bad_drain');
  return v;
}

function drainOptions(body: unknown): DrainOptions {
  if (body === undefined) return {};
  const b = object(body, '{deadlineMs?, batchSize?, intervalMs?}');
  const unknown = Object.keys(b).filter((k) => k !== 'deadlineMs' && k !== 'batchSize' && k !== 'intervalMs');
  if (unknown.length) throw badRequest(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  const opts: DrainOptions = {};
  const deadlineMs = intField(b, 'deadlineMs', 0, 86_400_000);
  const batchSize = intField(b, 'batchSize', 1, 1_000_000);
  const intervalMs = intField(b, 'intervalMs', 0, 600_000);
  if (deadlineMs !== undefined) opts.deadlineMs = deadlineMs;
  if (batchSize !== undefined) opts.batchSize = batchSize;
  if (intervalMs !== undefined) opts.intervalMs = intervalMs;
  return opts;
}

/** Admin (Bearer adminToken): PUT /v1/admin/apps/:app, GET /v1/admin/rooms, POST /v1/admin/rooms/:id/drain. */
export function adminClusterRoutes(ctx: CenterContext): Route[] {
  return [
    {
      method: 'PUT',
      path: '/v1/admin/apps/:app',
      handler: async (r) => {
        ctx.auth.admin(r);
        const id = r.params.app;
        const app = isAppId(id) ? await ctx.apps.get(id) : undefined;
        if (!app) throw notFound(`no app ${JSON.stringify(id)}`, 'unknown_app');
        const next = updated(app, r.body);
        await ctx.apps.put(next);
        ctx.log.info('app updated', { app: id, fields: Object.keys(r.body as object) });
        return { body: { app: redactApp(next) } };
      },
    },
    {
      method: 'GET',
      path: '/v1/admin/rooms',
      handler: async (r) => {
        ctx.auth.admin(r);
        let rooms;
        try {
          rooms = await ctx.registry.list();
        } catch (err) {
          throw new HttpError(503, 'unavailable', `could not read the room registry: ${(err as Error)?.message ?? String(err)}`);
        }
        rooms.sort((a, b) => (a.id < b.id ? -1 : 1));
        const connections = rooms.reduce((n, x) => n + x.connections, 0);
        return { body: { rooms, connections, capacity: rooms.reduce((n, x) => n + x.capacity, 0) } };
      },
    },
    {
      method: 'POST',
      path: '/v1/admin/rooms/:id/drain',
      // Answers at once: the drain runs in the background (the room shows draining in GET /v1/admin/rooms).
      handler: async (r) => {
        ctx.auth.admin(r);
        const id = r.params.id;
        const opts = drainOptions(r.body);
        const room = ctx.rooms.room(id);
        if (!room) throw notFound(`no room ${JSON.stringify(id)} reachable from this center`, 'unknown_room');
        ctx.log.info('draining a room', { room: id, ...opts });
        room.drain(opts).then(
          () => ctx.log.info('room drained', { room: id }),
          (err: unknown) => ctx.log.error('room drain failed', { room: id, err }),
        );
        return { status: 202, body: { room: id, draining: true } };
      },
    },
  ];
}
