/** Test helpers for the center: a recording room directory, a quiet logger, a started center. */
import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import type { App } from '../../shared/contracts/apps';
import type { RegisterService, SessionStore } from '../../shared/contracts/register';
import type { DeliverResult, DrainOptions, RoomDelivery, RoomDirectory, RoomKick, RoomService } from '../../shared/contracts/room';
import type { SaverService } from '../../shared/contracts/saver';
import { loadConfig } from '../../shared/config/config';
import type { LogFields, Logger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import type { Queue } from '../../shared/queue/queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { saverSchema } from '../saver/config';
import { createSaver } from '../saver/saver';
import { type Center, createCenter } from './center';
import { type CenterConfig, centerSchema } from './config';

export const ADMIN = 'admin-token-0123456789';
export const APP1: App = { id: 'app1', name: 'App One', secret: 'secret-of-app-one-0123', apiKeys: ['key-of-app-one-0123'] };
export const APP2: App = { id: 'app2', name: 'App Two', secret: 'secret-of-app-two-0123', apiKeys: ['key-of-app-two-0123'] };

/** A room directory whose rooms record every deliver() batch. */
export interface RecordingRooms extends RoomDirectory {
  batches: { roomId: string; batch: RoomDelivery[] }[];
  kicks: { roomId: string; batch: RoomKick[] }[];
  drains: { roomId: string; opts?: DrainOptions }[];
  /** Makes a room's deliver() reject. */
  failing: Set<string>;
  /** Each deliver() waits this long first, ms. */
  delayMs: number;
}

export function recordingRooms(ids: string[]): RecordingRooms {
  const batches: RecordingRooms['batches'] = [];
  const failing = new Set<string>();
  const rooms = new Map<string, RoomService>();
  const dir: RecordingRooms = { batches, kicks: [], drains: [], failing, delayMs: 0, room: (id) => rooms.get(id) };
  for (const id of ids) {
    rooms.set(id, {
      id,
      async deliver(batch): Promise<DeliverResult> {
        if (dir.delayMs) await new Promise((r) => setTimeout(r, dir.delayMs));
        if (failing.has(id)) throw new Error(`room ${id} is down`);
        batches.push({ roomId: id, batch });
        return { sent: batch.length, missing: 0, refused: 0 };
      },
      reply: async (batch) => batch.length,
      async kick(batch) {
        if (failing.has(id)) throw new Error(`room ${id} is down`);
        dir.kicks.push({ roomId: id, batch });
        return batch.length;
      },
      async drain(opts) {
        dir.drains.push({ roomId: id, opts });
      },
      reflush: async () => 0,
    });
  }
  return dir;
}

/** A logger that keeps what it is told (so tests can check failures are logged). */
export function recordingLogger(lines: { level: string; msg: string; fields?: LogFields }[] = []): Logger {
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

/** What centers share: one register, saver, queue, room registry and set of rooms (r1, r2). */
export interface Shared {
  sessions: SessionStore;
  saver: SaverService;
  rooms: RecordingRooms;
  queue: Queue;
  /** r1 and r2 announced for a minute. */
  registry: RoomRegistry;
  close(): Promise<void>;
}

export async function sharedDeps(log: Logger = recordingLogger()): Promise<Shared> {
  const sessions = createMemorySessionStore();
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory', cleanupIntervalMs: 0 }, {}), { log, metrics: createRegistry() });
  await saver.start();
  const queue = createMemoryQueue({ log });
  const registry = createMemoryRoomRegistry();
  for (const id of ['r1', 'r2']) {
    await registry.announce({ id, urls: [`ws://127.0.0.1:1/${id}`], zone: 'z1', networks: [], connections: 0, capacity: 1000, draining: false }, 60_000);
  }
  return {
    sessions,
    saver,
    queue,
    registry,
    rooms: recordingRooms(['r1', 'r2']),
    async close() {
      await queue.close();
      await saver.stop();
      await sessions.close();
      await registry.close();
    },
  };
}

export interface Harness extends Omit<Shared, 'close'> {
  center: Center;
  logs: { level: string; msg: string; fields?: LogFields }[];
  // Answers are checked field by field in tests, so any JSON shape is accepted here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<CenterConfig>;
  /** Wraps the real saver or register (e.g. to make it fail). */
  saver?: (real: SaverService) => SaverService;
  register?: (real: RegisterService) => RegisterService;
  queue?: (real: Queue) => Queue;
  /** Deps shared with other centers (closed by their owner); default: new ones, closed by close(). */
  shared?: Shared;
}

/** Starts a center on port 0 over the real in-memory register, saver and queue, apps APP1 and APP2, rooms r1 and r2. */
export async function startCenter(opts: HarnessOptions = {}): Promise<Harness> {
  const logs: Harness['logs'] = [];
  const log = recordingLogger(logs);
  const metrics = createRegistry();
  const shared = opts.shared ?? (await sharedDeps(log));
  const { sessions, saver, rooms, queue, registry } = shared;
  let center: Center;
  try {
    const config = loadConfig('center', centerSchema, { port: 0, adminToken: ADMIN, ...opts.config }, {});
    center = createCenter(config, {
      apps: createMemoryAppStore([APP1, APP2]),
      register: opts.register ? opts.register(sessions) : sessions,
      saver: opts.saver ? opts.saver(saver) : saver,
      rooms,
      queue: opts.queue ? opts.queue(queue) : queue,
      registry,
      log,
      metrics,
    });
    await center.start();
  } catch (err) {
    if (!opts.shared) await shared.close();
    throw err;
  }
  return {
    center,
    sessions,
    saver,
    rooms,
    queue,
    registry,
    logs,
    async call(method, path, body, key = APP1.apiKeys[0]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key) headers.authorization = `Bearer ${key}`;
      const res = await fetch(center.url() + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.text();
      const json = res.headers.get('content-type')?.includes('json');
      return { status: res.status, body: json ? JSON.parse(text) : text };
    },
    async close() {
      await center.stop();
      if (!opts.shared) await shared.close();
    },
  };
}

/** Polls until check() is true, failing after ms. */
export async function until(what: string, check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Polls an async check until it is true, failing after ms. */
export async function untilAsync(what: string, check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
