/** Test helpers for the coordinator: recording rooms, a local webhook server, a started coordinator. */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import { loadConfig } from '../../shared/config/config';
import type { App, AppStore } from '../../shared/contracts/apps';
import type { RegisterService } from '../../shared/contracts/register';
import type { DrainOptions, RoomDirectory, RoomKick, RoomReply, RoomService } from '../../shared/contracts/room';
import type { LogFields, Logger } from '../../shared/log/log';
import { createRegistry, type Registry } from '../../shared/metrics/metrics';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import type { Queue } from '../../shared/queue/queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { type CoordinatorConfig, coordinatorSchema } from './config';
import { type Coordinator, createCoordinator } from './coordinator';

/** A room directory whose rooms record replies, kicks, drains and reflushes. */
export interface RecordingRooms extends RoomDirectory {
  replies: { roomId: string; batch: RoomReply[] }[];
  kicks: { roomId: string; batch: RoomKick[] }[];
  drains: { roomId: string; opts?: DrainOptions }[];
  reflushes: string[];
  /** reflush() of these rooms rejects. */
  failing: Set<string>;
}

export function recordingRooms(ids: string[]): RecordingRooms {
  const dir: RecordingRooms = { replies: [], kicks: [], drains: [], reflushes: [], failing: new Set(), room: (id) => rooms.get(id) };
  const rooms = new Map<string, RoomService>();
  for (const id of ids) {
    rooms.set(id, {
      id,
      deliver: async (batch) => ({ sent: batch.length, missing: 0, refused: 0 }),
      async reply(batch) {
        dir.replies.push({ roomId: id, batch });
        return batch.length;
      },
      async kick(batch) {
        dir.kicks.push({ roomId: id, batch });
        return batch.length;
      },
      async drain(opts) {
        dir.drains.push({ roomId: id, opts });
      },
      async reflush() {
        if (dir.failing.has(id)) throw new Error(`room ${id} is down`);
        dir.reflushes.push(id);
        return 3;
      },
    });
  }
  return dir;
}

export function recordingLogger(lines: { level: string; msg: string; fields?: LogFields }[] = []): Logger {
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

export interface HookRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver on port 0; `answer` decides each response. */
export interface WebhookServer {
  url: string;
  hits: HookRequest[];
  answer: (req: HookRequest, n: number) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;
  close(): Promise<void>;
}

export async function startWebhookServer(): Promise<WebhookServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      hooks.hits.push(hit);
      void Promise.resolve(hooks.answer(hit, hooks.hits.length)).then((a) => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hooks: WebhookServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: [],
    answer: () => ({ status: 200 }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return hooks;
}

/** A register whose epoch the test sets. */
export type EpochRegister = RegisterService & { setEpoch(e: string): void; failEpoch: boolean };

export function epochRegister(real: RegisterService = createMemorySessionStore()): EpochRegister {
  let epoch = 'epoch-1';
  const r = {
    ...real,
    failEpoch: false,
    setEpoch: (e: string) => void (epoch = e),
    epoch: async () => {
      if (r.failEpoch) throw new Error('register down');
      return epoch;
    },
  };
  return r;
}

export interface CoordHarness {
  coordinator: Coordinator;
  rooms: RecordingRooms;
  apps: AppStore;
  queue: Queue;
  registry: RoomRegistry;
  register: EpochRegister;
  metrics: Registry;
  logs: { level: string; msg: string; fields?: LogFields }[];
  close(): Promise<void>;
}

/** Fast retries and flushes so tests take milliseconds. */
export const FAST: Partial<CoordinatorConfig> = { retryBaseMs: 10, retryMaxMs: 40, statusFlushMs: 30, recoveryPollMs: 20, webhookTimeoutMs: 1000, shutdownTimeoutMs: 2000 };

/** A started coordinator over a memory queue and app store, rooms r1 and r2 announced. */
/** A queue given by the caller is shared and left open by close(). */
export async function startCoordinator(apps: App[], config: Partial<CoordinatorConfig> = {}, given?: Queue): Promise<CoordHarness> {
  const queue = given ?? createMemoryQueue({ log: recordingLogger() });
  const logs: CoordHarness['logs'] = [];
  const log = recordingLogger(logs);
  const rooms = recordingRooms(['r1', 'r2']);
  const registry = createMemoryRoomRegistry();
  for (const id of ['r1', 'r2']) {
    await registry.announce({ id, urls: [`ws://127.0.0.1:1/${id}`], zone: 'z1', networks: [], connections: 1, capacity: 100, draining: false }, 60_000);
  }
  const store = createMemoryAppStore(apps);
  const register = epochRegister();
  const metrics = createRegistry();
  const coordinator = createCoordinator(loadConfig('coordinator', coordinatorSchema, { ...FAST, ...config }, {}), { apps: store, register, rooms, registry, queue, log, metrics });
  await coordinator.start();
  return {
    coordinator,
    rooms,
    apps: store,
    queue,
    registry,
    register,
    metrics,
    logs,
    async close() {
      await coordinator.stop();
      if (!given) await queue.close();
      await registry.close();
    },
  };
}

/** Polls until check() is true, failing after ms. */
export async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
