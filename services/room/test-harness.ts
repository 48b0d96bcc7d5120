import WebSocket from 'ws';
import { signToken } from '../../shared/auth/jwt';
import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import { loadConfig } from '../../shared/config/config';
import type { AppStore } from '../../shared/contracts/apps';
import type { CoordinatorService, StatusEvent, UpstreamRequest } from '../../shared/contracts/coordinator';
import type { Session } from '../../shared/contracts/register';
import type { RegisterService, SessionStore } from '../../shared/contracts/register';
import type { Message, SaverService } from '../../shared/contracts/saver';
import { encodeTask, QueueTopics, type FanoutTask } from '../../shared/contracts/tasks';
import type { Service } from '../../shared/lifecycle/lifecycle';
import { createLogger } from '../../shared/log/log';
import { createRegistry, type Registry } from '../../shared/metrics/metrics';
import { decodeServerFrame, encodeClientFrame, type ClientFrameInit, type ServerFrame } from '../../shared/protocol/codec';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import type { Queue } from '../../shared/queue/queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { saverSchema } from '../saver/config';
import { createSaver } from '../saver/saver';
import { loadRoomConfig, type RoomConfig } from './config';
import { createRoom, type Room } from './room';

export const APP = { id: 'demo', name: 'Demo', secret: 'demo-secret', apiKeys: ['k-demo'] };
export const APP2 = { id: 'other', name: 'Other', secret: 'other-secret', apiKeys: ['k-other'] };
/** An app with single login: a new session of a device replaces the old one. */
export const SOLO = { id: 'solo', name: 'Solo', secret: 'solo-secret', apiKeys: ['k-solo'], singleLogin: true };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until check() holds (for effects that land after an async call). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met in time`);
    await sleep(10);
  }
}

export interface Harness {
  room: Room;
  url: string;
  httpUrl: string;
  apps: AppStore;
  saver: SaverService & Service;
  register: SessionStore;
  registry: RoomRegistry;
  queue: Queue;
  metrics: Registry;
  coordinator: RecordingCoordinator;
  stop(): Promise<void>;
}

/**
 * A CoordinatorService that records what the room hands it (our own interface, so a recording
 * double rather than a mock of a driver). failUpstream makes upstream() reject; onReplaced runs
 * on each replaced() call (e.g. to kick through room.kick like the real coordinator).
 */
export class RecordingCoordinator implements CoordinatorService {
  readonly upstreamCalls: UpstreamRequest[][] = [];
  readonly statusCalls: StatusEvent[][] = [];
  readonly replacedCalls: { now: Session; old: Session }[][] = [];
  failUpstream = false;
  failStatus = false;
  onReplaced?: (pairs: { now: Session; old: Session }[]) => Promise<void>;

  async upstream(requests: UpstreamRequest[]): Promise<void> {
    this.upstreamCalls.push(requests);
    if (this.failUpstream) throw new Error('coordinator down');
  }

  async status(events: StatusEvent[]): Promise<void> {
    this.statusCalls.push(events);
    if (this.failStatus) throw new Error('status down');
  }

  async replaced(pairs: { now: Session; old: Session }[]): Promise<void> {
    this.replacedCalls.push(pairs);
    await this.onReplaced?.(pairs);
  }

  /** Every status event so far, in order. */
  events(): StatusEvent[] {
    return this.statusCalls.flat();
  }
}

/** A room on port 0 with real in-memory register, saver, registry and apps. */
export interface HarnessOptions {
  saverMaxAttempts?: number;
  /** Wraps the register the room sees (e.g. to record calls). */
  wrapRegister?: (r: RegisterService) => RegisterService;
  /** A queue shared with other rooms (the caller closes it); by default the room's own memory queue. */
  queue?: Queue;
  /** A saver shared with other rooms (the caller stops it); by default the room's own memory saver. */
  saver?: SaverService & Service;
  /** Wraps the saver the room sees (e.g. to count calls). */
  wrapSaver?: (s: SaverService) => SaverService;
  /** A room registry shared with other rooms (the caller closes it). */
  registry?: RoomRegistry;
  /** The apps (default: APP and APP2 in memory). */
  apps?: AppStore;
}

export async function startRoom(given: Partial<RoomConfig> = {}, opts: HarnessOptions = {}): Promise<Harness> {
  const saverMaxAttempts = opts.saverMaxAttempts ?? 5;
  const log = createLogger({ test: 'room' }, 'error');
  const metrics = createRegistry();
  const apps = opts.apps ?? createMemoryAppStore([APP, APP2, SOLO]);
  const saver = opts.saver ?? createSaver(loadConfig('saver', saverSchema, { driver: 'memory', maxAttempts: saverMaxAttempts, cleanupIntervalMs: 0 }, {}), { log, metrics });
  const register = createMemorySessionStore();
  const registry = opts.registry ?? createMemoryRoomRegistry();
  const coordinator = new RecordingCoordinator();
  const queue = opts.queue ?? createMemoryQueue({ log });
  if (!opts.saver) await saver.start();
  const config = loadRoomConfig({ port: 0, ...given }, {});
  const wrapped = opts.wrapRegister ? opts.wrapRegister(register) : register;
  const roomSaver = opts.wrapSaver ? opts.wrapSaver(saver) : saver;
  const room = createRoom(config, { apps, register: wrapped, saver: roomSaver, registry, queue, coordinator, log, metrics });
  await room.start();
  return {
    room,
    url: room.urls()[0],
    httpUrl: `http://127.0.0.1:${room.port()}`,
    apps,
    saver,
    register,
    registry,
    queue,
    metrics,
    coordinator,
    async stop() {
      await room.stop();
      if (!opts.queue) await queue.close();
      if (!opts.saver) await saver.stop();
      await register.close();
      if (!opts.registry) await registry.close();
    },
  };
}

export function token(device: string, opts: { app?: string; secret?: string; uid?: string; expSeconds?: number } = {}): string {
  const app = opts.app ?? APP.id;
  const secret = opts.secret ?? [APP, APP2, SOLO].find((a) => a.id === app)?.secret ?? APP.secret;
  return signToken({ sub: device, app, uid: opts.uid, exp: Math.floor(Date.now() / 1000) + (opts.expSeconds ?? 3600) }, secret);
}

export function message(id: string, opts: Partial<Message> = {}): Message {
  return { id, app: APP.id, kind: 'unicast', payload: Buffer.from(`payload-${id}`), created: Date.now(), expires: Date.now() + 60_000, qos: 1, ...opts };
}

/**
 * A broadcast (no topic) or topic push as center makes it: stored in its log when qos 1
 * (saver.appendLog gives the seq), then one fan-out task on the queue. Answers the task.
 */
export async function publishFanout(h: Pick<Harness, 'saver' | 'queue'>, m: Message): Promise<FanoutTask> {
  const seq = m.qos === 1 && m.expires > 0 ? await h.saver.appendLog(m) : 0;
  const task: FanoutTask = { message: m, log: m.topic ?? '', seq };
  await h.queue.publish(QueueTopics.fanout, [encodeTask(task)]);
  return task;
}

/** A broadcast message of the demo app (kind 'broadcast'); pass topic for a topic message. */
export function broadcastMessage(id: string, opts: Partial<Message> = {}): Message {
  return message(id, { kind: opts.topic ? 'topic' : 'broadcast', ...opts });
}

/** A test client over `ws`: frames queue up, next() waits for one, closed resolves with the code. */
export class TestClient {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: ((f: ServerFrame) => void)[] = [];
  private seq = 0;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer) => {
      const frame = decodeServerFrame(data);
      const w = this.waiters.shift();
      if (w) w(frame);
      else this.frames.push(frame);
    });
  }

  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestClient(ws);
  }

  /** Connects and authenticates; answers the AuthOk frame. */
  static async authed(url: string, tokens: string[], network?: number): Promise<{ client: TestClient; authOk: ServerFrame }> {
    const client = await TestClient.connect(url);
    client.send({ auth: { tokens, network, platform: 'test' } });
    const authOk = await client.next();
    if (authOk.body !== 'authOk') throw new Error(`expected authOk, got ${JSON.stringify(authOk.toJSON())}`);
    return { client, authOk };
  }

  send(frame: ClientFrameInit): number {
    const seq = frame.seq ?? ++this.seq;
    this.ws.send(encodeClientFrame({ ...frame, seq }));
    return seq;
  }

  sendRaw(data: Buffer | string, binary = true): void {
    this.ws.send(data, { binary });
  }

  next(timeoutMs = 3000): Promise<ServerFrame> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error('no frame within timeout'));
      }, timeoutMs);
      const done = (f: ServerFrame): void => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push(done);
    });
  }

  /** Next frame of the given body, skipping others. */
  async nextOf(body: string, timeoutMs = 3000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (f.body === body) return f;
    }
  }

  async ping(): Promise<ServerFrame> {
    this.send({ ping: {} });
    return this.nextOf('pong');
  }

  close(): void {
    this.ws.terminate();
  }
}
