import { type Service, once } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import { counter, type Registry } from '../../shared/metrics/metrics';
import { createHttpServer, type Request, type Reply } from '../../shared/http/http-server';
import { HttpError, badRequest } from '../../shared/http/errors';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import type { DispatcherConfig } from './config';
import { best, toCandidate, type Candidate } from './rank';

export interface DispatcherDeps {
  registry: RoomRegistry;
  log: Logger;
  metrics: Registry;
}

export type Dispatcher = Service & { port(): number; url(): string };

export const NETWORKS = ['wifi', 'cellular', 'ethernet', 'unknown'] as const;
export type Network = (typeof NETWORKS)[number];

const MAX_ID = 256;
const MAX_ZONE = 64;
const MAX_EXCLUDE = 32;

/** A parsed, validated dispatch request. */
export interface DispatchQuery {
  device: string;
  app: string;
  /** '' = any zone. */
  zone: string;
  network?: Network;
  exclude: Set<string>;
  /** Every room the client was given failed: prefer other zones. */
  failedAll: boolean;
}

function requiredId(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (!v) throw badRequest(`${name} is required`);
  if (v.length > MAX_ID) throw badRequest(`${name} must be at most ${MAX_ID} characters`);
  return v;
}

/** Validates the query string; throws a 400 HttpError naming the bad parameter. */
export function parseQuery(q: URLSearchParams, defaultZone: string): DispatchQuery {
  const device = requiredId(q, 'device');
  const app = requiredId(q, 'app');
  const zone = q.get('zone') ?? defaultZone;
  if (zone.length > MAX_ZONE) throw badRequest(`zone must be at most ${MAX_ZONE} characters`);
  const net = q.get('network');
  if (net !== null && !(NETWORKS as readonly string[]).includes(net)) throw badRequest(`network must be one of: ${NETWORKS.join(', ')}`);
  const exclude = (q.get('exclude') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (exclude.length > MAX_EXCLUDE) throw badRequest(`exclude lists more than ${MAX_EXCLUDE} rooms`);
  if (exclude.some((id) => id.length > MAX_ID)) throw badRequest(`exclude: room ids must be at most ${MAX_ID} characters`);
  const failed = q.get('failed');
  if (failed !== null && failed !== 'all') throw badRequest("failed must be 'all' when given");
  return { device, app, zone, network: (net ?? undefined) as Network | undefined, exclude: new Set(exclude), failedAll: failed === 'all' };
}

/**
 * The rooms for a request, best first: healthy rooms not excluded, of the client's network
 * (rooms with no networks serve all; if none serves it, any network), of its zone (if none, any
 * zone) or, after failed=all, of other zones first; ranked by weighted rendezvous hashing.
 */
export function chooseRooms(all: Candidate[], q: DispatchQuery, max: number): Candidate[] {
  let pool = all.filter((c) => !c.info.draining && !q.exclude.has(c.info.id));
  const net = q.network;
  if (net) {
    const served = pool.filter((c) => c.info.networks.length === 0 || c.info.networks.includes(net));
    if (served.length > 0) pool = served;
  }
  if (!q.zone) return best(pool, q.device, max);
  const inZone = pool.filter((c) => c.info.zone === q.zone);
  if (!q.failedAll) return best(inZone.length > 0 ? inZone : pool, q.device, max);
  const first = best(pool.filter((c) => c.info.zone !== q.zone), q.device, max);
  return first.length >= max ? first : first.concat(best(inZone, q.device, max - first.length));
}

/** The dispatcher: GET /v1/dispatch answers a client's ordered room list. */
export function createDispatcher(config: DispatcherConfig, deps: DispatcherDeps): Dispatcher {
  const log = deps.log.child({ service: 'dispatcher' });
  const requests = counter(deps.metrics, 'herald_dispatch_requests_total', 'Dispatch requests by result', ['result']);
  let cache: { at: number; rooms: Candidate[] } | undefined;
  let pending: Promise<Candidate[]> | undefined;
  let running = false;

  async function refresh(): Promise<Candidate[]> {
    try {
      const list = await deps.registry.list();
      cache = { at: Date.now(), rooms: list.map(toCandidate) };
      return cache.rooms;
    } catch (err) {
      if (!cache) throw new HttpError(503, 'registry_unavailable', 'the room registry is unavailable');
      log.warn('room registry read failed; using the last list', { err: (err as Error).message });
      return cache.rooms;
    }
  }

  function rooms(): Promise<Candidate[]> | Candidate[] {
    if (cache && Date.now() - cache.at < config.cacheMs) return cache.rooms;
    return (pending ??= refresh().finally(() => (pending = undefined)));
  }

  async function dispatch(req: Request): Promise<Reply> {
    try {
      const q = parseQuery(req.query, config.zone);
      const chosen = chooseRooms(await rooms(), q, config.maxRooms);
      if (chosen.length === 0) throw new HttpError(503, 'no_rooms', 'no room is available');
      requests.inc({ result: 'ok' });
      return { body: { rooms: chosen.map((c) => ({ id: c.info.id, url: c.info.urls[0], zone: c.info.zone })) } };
    } catch (err) {
      requests.inc({ result: err instanceof HttpError ? err.code : 'error' });
      throw err;
    }
  }

  const http = createHttpServer({
    name: 'dispatcher',
    host: config.host,
    port: config.port,
    log,
    metrics: deps.metrics,
    ready: () => running,
    maxBody: 1024,
    routes: [{ method: 'GET', path: '/v1/dispatch', handler: dispatch }],
  });
  let port = config.port;

  return {
    async start() {
      port = await http.start();
      running = true;
    },
    stop: once(async () => {
      running = false;
      await http.stop();
    }),
    port: () => port,
    url: () => http.url(),
  };
}
