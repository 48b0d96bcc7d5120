/** Test helpers for the center: a recording room directory, a quiet logger, a started center. */
import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import type { App } from '../../shared/contracts/apps';
import type { RegisterService, SessionStore } from '../../shared/contracts/register';
import type { DeliverResult, RoomDelivery, RoomDirectory, RoomService } from '../../shared/contracts/room';
import type { SaverService } from '../../shared/contracts/saver';
import { loadConfig } from '../../shared/config/config';
import type { LogFields, Logger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
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
  /** Makes a room's deliver() reject. */
  failing: Set<string>;
  /** Each deliver() waits this long first, ms. */
  delayMs: number;
}

export function recordingRooms(ids: string[]): RecordingRooms {
  const batches: RecordingRooms['batches'] = [];
  const failing = new Set<string>();
  const rooms = new Map<string, RoomService>();
  const dir: RecordingRooms = { batches, failing, delayMs: 0, room: (id) => rooms.get(id) };
  for (const id of ids) {
    rooms.set(id, {
      id,
      async deliver(batch): Promise<DeliverResult> {
        if (dir.delayMs) await new Promise((r) => setTimeout(r, dir.delayMs));
        if (failing.has(id)) throw new Error(`room ${id} is down`);
        batches.push({ roomId: id, batch });
        return { sent: batch.length, missing: 0, refused: 0 };
      },
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

export interface Harness {
  center: Center;
  sessions: SessionStore;
  saver: SaverService;
  rooms: RecordingRooms;
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
}

/** Starts a center on port 0 over the real in-memory register and saver, apps APP1 and APP2, rooms r1 and r2. */
export async function startCenter(opts: HarnessOptions = {}): Promise<Harness> {
  const logs: Harness['logs'] = [];
  const log = recordingLogger(logs);
  const metrics = createRegistry();
  const sessions = createMemorySessionStore();
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory', cleanupIntervalMs: 0 }, {}), { log, metrics });
  await saver.start();
  const rooms = recordingRooms(['r1', 'r2']);
  const config = loadConfig('center', centerSchema, { port: 0, adminToken: ADMIN, ...opts.config }, {});
  const center = createCenter(config, {
    apps: createMemoryAppStore([APP1, APP2]),
    register: opts.register ? opts.register(sessions) : sessions,
    saver: opts.saver ? opts.saver(saver) : saver,
    rooms,
    log,
    metrics,
  });
  await center.start();
  return {
    center,
    sessions,
    saver,
    rooms,
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
      await saver.stop();
      await sessions.close();
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
