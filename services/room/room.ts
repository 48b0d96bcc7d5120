import { randomBytes } from 'node:crypto';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { AppStore } from '../../shared/contracts/apps';
import type { CoordinatorService } from '../../shared/contracts/coordinator';
import type { RegisterService, SessionRef } from '../../shared/contracts/register';
import type { DeliverResult, DrainOptions, RoomDelivery, RoomKick, RoomReply, RoomService } from '../../shared/contracts/room';
import type { SaverService } from '../../shared/contracts/saver';
import { QueueTopics } from '../../shared/contracts/tasks';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import type { Registry } from '../../shared/metrics/metrics';
import type { Consumer, Queue } from '../../shared/queue/queue';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import { clockNow } from '../../shared/lifecycle/clock';
import type { RoomConfig } from './config';
import { createTickBatcher } from './batcher';
import { compactHeaps, createCompactor, eventLoopLoad } from './compact';
import { mallocTrimAvailable } from '../../shared/lifecycle/malloc-trim';
import { createConnectionHandlers, expire } from './connection';
import { batchedSaver, type ConnSlot, type ConnState, type RoomContext } from './context';
import { kickBatch, reflushSessions, replyBatch } from './control';
import { deliverBatch } from './delivery';
import { drainOptions, runDrain, type DrainRun } from './drain';
import { createGrace } from './grace';
import { createFanoutHandler } from './fanout';
import { mountHttp } from './http';
import { checkUws, loadUws, type Uws } from './native';
import { createLogIds } from './log-ids';
import { createMoved } from './moved';
import { endGrace } from './resume';
import { createRoomMetrics } from './room-metrics';
import { createSlowScan } from './slow';
import { flushStatus } from './status';
import { createSweeper } from './sweeper';
import { flushUpstreams } from './upstream';

export interface RoomServiceDeps {
  apps: AppStore;
  register: RegisterService;
  saver: SaverService;
  registry: RoomRegistry;
  /** Broadcast/topic fan-out: the room consumes QueueTopics.fanout on its own ephemeral channel. */
  queue: Queue;
  /** Upstream frames, online/offline events and single login go to it. */
  coordinator: CoordinatorService;
  log: Logger;
  metrics: Registry;
  /** uWebSockets.js already loaded (tests); by default loadUws() plus the native check. */
  uws?: Uws;
}

/** The room: a RoomService plus lifecycle and a few read-outs. */
export type Room = RoomService &
  Service & {
    /** The port it listens on (the real one after start() with port 0). */
    port(): number;
    /** The WebSocket URLs clients connect to (announced in the registry). */
    urls(): string[];
    connectionCount(): number;
  };

/** uWS drops a socket sending a frame above maxPayload * this itself (no answer; 1006 in this
 * build, 1009 in the spec); between maxPayload and that, the room answers FrameTooLarge. */
const PAYLOAD_HEADROOM = 4;

function listen(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => (socket ? resolve(socket) : reject(new Error(`room: cannot listen on ${host}:${port}`))));
  });
}

function urlsOf(config: RoomConfig, port: number): string[] {
  if (config.publicUrls.length > 0) return config.publicUrls;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return [`ws://${host}:${port}${config.path}`];
}

/** Flushes batched register calls; failures are logged and counted (sessions expire by TTL). */
async function flushRefs(ctx: RoomContext, what: 'touch' | 'unregister', refs: SessionRef[]): Promise<void> {
  if (refs.length === 0) return;
  try {
    await (what === 'touch' ? ctx.register.touch(refs) : ctx.register.unregister(refs));
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.warn(`register ${what} failed`, { sessions: refs.length, err });
  }
}

function takeTouches(ctx: RoomContext): SessionRef[] {
  const refs: SessionRef[] = [];
  for (const state of ctx.touchQueue) {
    state.touched = false;
    for (const b of state.bindings) refs.push({ app: b.app, device: b.device, connId: state.id });
  }
  ctx.touchQueue.clear();
  // Sessions in their grace period stay registered until they expire or resume.
  for (const ref of ctx.grace.refs()) refs.push(ref);
  return refs;
}

export function createRoom(config: RoomConfig, deps: RoomServiceDeps): Room {
  const roomId = config.id || `room-${randomBytes(4).toString('hex')}`;
  const log = deps.log.child({ service: 'room', room: roomId });
  let unregisterPending: Promise<void> | undefined;
  const ctx: RoomContext = {
    config,
    roomId,
    connPrefix: `${roomId}.${randomBytes(3).toString('hex')}.`,
    draining: false,
    metrics: createRoomMetrics(deps.metrics, roomId),
    conns: new Map(),
    sweeper: createSweeper<ConnState>(config.sweepIntervalMs, (s) => expire(ctx, s)),
    touchQueue: new Set(),
    unregisterQueue: [],
    scheduleUnregister() {
      // Closes within one event-loop turn share one unregister call.
      unregisterPending ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        unregisterPending = undefined;
        await flushRefs(ctx, 'unregister', ctx.unregisterQueue.splice(0));
      });
    },
    apps: deps.apps,
    register: deps.register,
    saver: deps.saver,
    batched: batchedSaver(deps.saver),
    coordinator: deps.coordinator,
    log,
    logIds: createLogIds(config.logIdsMax),
    logPublishes: 0,
    grace: createGrace(config.sweepIntervalMs, (entry) => endGrace(ctx, entry)),
    moved: createMoved(config.graceMs),
    compactor: createCompactor({ afterChanges: config.compactAfterChanges, quietMs: config.compactQuietMs, followMs: config.compactFollowMs }, compactHeaps, eventLoopLoad()),
    status: createTickBatcher((events) => flushStatus(ctx, events), (err) => log.error('status flush failed', { err })),
    upstreams: createTickBatcher((batch) => flushUpstreams(ctx, batch), (err) => log.error('upstream flush failed', { err })),
  };
  const slowScan = createSlowScan(ctx);

  let listenSocket: us_listen_socket | undefined;
  let uws: Uws | undefined;
  let port = config.port;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let consumer: Consumer | undefined;
  let lastTouch = 0;
  let lastAnnounce = 0;

  const urls = (): string[] => urlsOf(config, port);

  async function announce(): Promise<void> {
    try {
      await deps.registry.announce(
        { id: roomId, urls: urls(), zone: config.zone, networks: config.networks, connections: ctx.conns.size, capacity: config.capacity, draining: ctx.draining },
        config.announceIntervalMs * 3,
      );
    } catch (err) {
      ctx.metrics.errors.inc();
      log.warn('announce failed', { err });
    }
  }

  // The one periodic timer: sweeps deadlines, scans for slow sockets, flushes touches, announces.
  function tick(): void {
    const now = clockNow();
    ctx.sweeper.sweep(now);
    ctx.grace.sweep(now);
    ctx.moved.sweep(now);
    ctx.metrics.graceSessions.set(ctx.grace.size());
    slowScan.scan(now);
    const paused = ctx.compactor.tick(now);
    if (paused !== undefined) ctx.metrics.compactions.observe(paused / 1000);
    ctx.metrics.compactionDue.set(ctx.compactor.due() ? 1 : 0);
    if (now - lastTouch >= config.touchIntervalMs) {
      lastTouch = now;
      void flushRefs(ctx, 'touch', takeTouches(ctx));
    }
    if (now - lastAnnounce >= config.announceIntervalMs) {
      lastAnnounce = now;
      void announce();
    }
  }

  async function start(): Promise<void> {
    if (started) throw new Error('room: already started');
    if (deps.uws) uws = deps.uws;
    else {
      const loaded = loadUws();
      checkUws(loaded.info, config.allowFallback, log);
      uws = loaded.uws;
    }
    const app = uws.App();
    const handlers = createConnectionHandlers(ctx, config.maxPayload * PAYLOAD_HEADROOM);
    app.ws<ConnSlot>(config.path, handlers.behavior);
    mountHttp(app, { ready: () => started && !ctx.draining, metrics: deps.metrics, log, wsPath: config.path });
    listenSocket = await listen(app, config.host, config.port);
    port = uws.us_socket_local_port(listenSocket);
    // Each room its own channel (named after the room id), so every room gets every task.
    consumer = deps.queue.consume(QueueTopics.fanout, roomId, createFanoutHandler(ctx, app), {
      maxInFlight: config.fanoutMaxInFlight,
      timeoutMs: config.fanoutTimeoutMs,
      ephemeral: true,
    });
    started = true;
    lastTouch = lastAnnounce = clockNow();
    timer = setInterval(tick, Math.min(config.sweepIntervalMs, config.touchIntervalMs, config.announceIntervalMs));
    await announce();
    log.info('room listening', { urls: urls(), heapTrim: mallocTrimAvailable() });
  }

  let drainRun: DrainRun | undefined;

  /** RoomService.drain; a second call shares the first run and may only bring its deadline closer. */
  function drain(opts?: DrainOptions): Promise<void> {
    const o = drainOptions(ctx, opts);
    const deadline = Date.now() + o.deadlineMs;
    if (drainRun) {
      drainRun.deadline = Math.min(drainRun.deadline, deadline);
      return drainRun.done;
    }
    ctx.draining = true;
    if (!started) return Promise.resolve();
    const run: DrainRun = { deadline, done: Promise.resolve() };
    drainRun = run;
    run.done = (async () => {
      // The registry says draining at once, so the dispatcher stops sending clients here.
      await announce();
      await runDrain(ctx, deps.registry, run, o);
      log.info('drained');
    })();
    return run.done;
  }

  async function reflush(): Promise<number> {
    const n = await reflushSessions(ctx);
    await announce();
    return n;
  }

  const stop = once(async () => {
    // The fan-out consumer first: no publishes to sockets being closed.
    const c = consumer;
    consumer = undefined;
    if (c) {
      try {
        await c.stop();
      } catch (err) {
        log.warn('fan-out consumer stop failed', { err });
      }
    }
    if (started) await drain({ deadlineMs: config.stopDrainDeadlineMs });
    ctx.draining = true;
    if (listenSocket && uws) uws.us_listen_socket_close(listenSocket);
    listenSocket = undefined;
    if (timer) clearInterval(timer);
    timer = undefined;
    if (started) {
      ctx.touchQueue.clear();
      await unregisterPending;
      await Promise.all([ctx.status.flushed(), ctx.upstreams.flushed()]);
      try {
        await deps.registry.withdraw(roomId);
      } catch (err) {
        log.warn('withdraw failed', { err });
      }
    }
    started = false;
    log.info('room stopped');
  });

  return {
    id: roomId,
    deliver: (batch: RoomDelivery[]): Promise<DeliverResult> => deliverBatch(ctx, batch),
    reply: async (batch: RoomReply[]): Promise<number> => replyBatch(ctx, batch),
    kick: async (batch: RoomKick[]): Promise<number> => kickBatch(ctx, batch),
    drain,
    reflush,
    start,
    stop,
    port: () => port,
    urls,
    connectionCount: () => ctx.conns.size,
  };
}
