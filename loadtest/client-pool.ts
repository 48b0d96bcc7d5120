/**
 * The simulated clients of one worker process: lean WebSocket sockets (raw-ws.ts) speaking the
 * project's codec.
 * Per client only a small record; no timer per client (one sweep per worker drives heartbeats,
 * handshake timeouts and reconnects).
 */
import { signToken } from '../shared/auth/jwt';
import { decodeServerFrame, encodeClientFrame, PushKind, type ServerFrame } from '../shared/protocol/codec';
import { shouldReconnect } from '../shared/protocol/codes';
import { bucketOf, newHistogram } from './histogram';
import { bump, decodePayload, epochMs, type WorkerInit } from './ipc';
import { RawWs, WsState } from './raw-ws';

const Connecting = 0;
const Live = 1;
const Gone = 2;

/** One simulated device. */
interface SimClient {
  index: number;
  ws: RawWs;
  state: number;
  startedAt: number;
  nextPingAt: number;
  heartbeatMs: number;
  /** Closed on purpose (churn or shutdown): its close is not a drop. */
  dropped: boolean;
  sessionId: string;
  seq: number;
}

/** Arrivals of one broadcast at this worker. */
interface BroadcastSeen {
  count: number;
  first: number;
  last: number;
}

/** Counters since the last report; the worker resets them after each report. */
export interface PoolCounters {
  connects: number;
  connectFails: number;
  drops: number;
  deliveries: number;
  acks: number;
  errors: Record<string, number>;
  latency: Uint32Array;
  connectLatency: Uint32Array;
  seqs: number[];
}

export function newCounters(): PoolCounters {
  return { connects: 0, connectFails: 0, drops: 0, deliveries: 0, acks: 0, errors: {}, latency: newHistogram(), connectLatency: newHistogram(), seqs: [] };
}

/** Callbacks the worker gives the pool. */
export interface PoolEvents {
  broadcastDone(n: number, seen: BroadcastSeen): void;
}

const pingFrame = (seq: number): Uint8Array => encodeClientFrame({ seq, ping: {} });
const tokenLifetimeS = 24 * 3600;
/** Broadcast records kept; older ones are forgotten (bounded memory). */
const maxBroadcasts = 4096;

/** The simulated clients of one worker. */
export class ClientPool {
  readonly clients: (SimClient | undefined)[] = [];
  live = 0;
  inflight = 0;
  counters = newCounters();
  private closing = false;
  private readonly reconnects: number[] = [];
  private readonly broadcasts = new Map<number, BroadcastSeen>();
  private readonly tokens = new Map<number, string>();
  private readonly url: URL;
  /** Called once each client's socket is closed (closeAll waits on them). */
  private readonly closeWaiters = new Map<SimClient, () => void>();

  constructor(
    private readonly init: WorkerInit,
    private readonly events: PoolEvents,
  ) {
    this.url = new URL(init.url);
  }

  /** Opens the socket of device `index` (a new record; an old one must be gone). */
  connect(index: number): void {
    const { localAddresses } = this.init;
    const old = this.clients[index];
    const c = { index, state: Connecting, startedAt: epochMs(), nextPingAt: 0, heartbeatMs: 0, dropped: false, sessionId: old?.sessionId ?? '', seq: 0 } as SimClient;
    // The handshake timeout is the sweep's (no timer per socket).
    c.ws = new RawWs(this.url, localAddresses[index % localAddresses.length], {
      onOpen: () => this.onOpen(c),
      onMessage: (data) => this.onMessage(c, data),
      onError: (err) => bump(this.counters.errors, `socket: ${err.message.replace(/\d+\.\d+\.\d+\.\d+(:\d+)?/g, 'ADDR')}`),
      onClose: (code) => this.onClose(c, code),
    });
    this.clients[index] = c;
    this.inflight++;
  }

  private onOpen(c: SimClient): void {
    if (this.init.mode === 'raw') return this.becomeLive(c, 0);
    const claims = { sub: `${this.init.devicePrefix}${c.index}`, app: this.init.app, exp: Math.floor(Date.now() / 1000) + tokenLifetimeS };
    let token = this.tokens.get(c.index);
    if (token === undefined) {
      token = signToken(claims, this.init.secret);
      this.tokens.set(c.index, token);
    }
    c.ws.send(encodeClientFrame({ seq: ++c.seq, auth: { tokens: [token], platform: 'loadtest', sdkVersion: 'loadtest', resume: c.sessionId } }));
  }

  private becomeLive(c: SimClient, heartbeatSeconds: number): void {
    const now = epochMs();
    c.state = Live;
    this.live++;
    this.inflight--;
    this.counters.connects++;
    this.counters.connectLatency[bucketOf(now - c.startedAt)]++;
    c.heartbeatMs = heartbeatSeconds * 1000;
    // Spread pings over the interval, as real devices are not in step; ping a little early.
    c.nextPingAt = now + c.heartbeatMs * (0.5 + Math.random() * 0.4);
  }

  private fail(c: SimClient, reason: string): void {
    if (c.state !== Connecting) return;
    c.state = Gone;
    c.dropped = true;
    this.inflight--;
    this.counters.connectFails++;
    bump(this.counters.errors, reason);
    c.ws.terminate();
  }

  private onMessage(c: SimClient, data: Buffer): void {
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(data);
    } catch (err) {
      bump(this.counters.errors, `bad frame: ${(err as Error).message}`);
      return;
    }
    switch (frame.body) {
      case 'authOk':
        if (c.state !== Connecting) return;
        c.sessionId = frame.authOk!.sessionId ?? '';
        return this.becomeLive(c, frame.authOk!.heartbeatSeconds ?? 0);
      case 'push': {
        const p = frame.push!;
        return this.onPayload(c, p.payload ?? new Uint8Array(0), p.kind === PushKind.PUSH_BROADCAST, p.id ?? '', p.qos ?? 0);
      }
      case 'pong':
        return;
      case 'error':
        if (c.state === Connecting) return this.fail(c, `auth error ${frame.error!.code}: ${frame.error!.message}`);
        return bump(this.counters.errors, `error frame ${frame.error!.code}`);
      default:
        bump(this.counters.errors, `unexpected ${frame.body}`);
    }
  }

  private onPayload(c: SimClient, bytes: Uint8Array, broadcast: boolean, id: string, qos: number): void {
    const now = epochMs();
    const p = decodePayload(bytes);
    const k = this.counters;
    k.deliveries++;
    if (qos === 1 && c.ws.readyState === WsState.Open) {
      c.ws.send(encodeClientFrame({ seq: ++c.seq, ack: { ids: [id] } }));
      k.acks++;
    }
    if (p === null) return bump(k.errors, 'push payload not from this run');
    k.latency[bucketOf(now - p.at)]++;
    if (!broadcast) {
      if (this.init.trackSeqs) k.seqs.push(p.seq);
      return;
    }
    let seen = this.broadcasts.get(p.seq);
    if (seen === undefined) {
      if (this.broadcasts.size >= maxBroadcasts) this.broadcasts.delete(this.broadcasts.keys().next().value as number);
      seen = { count: 0, first: now, last: now };
      this.broadcasts.set(p.seq, seen);
    }
    seen.count++;
    seen.last = now;
    if (seen.count === this.live) this.events.broadcastDone(p.seq, seen);
  }

  private onClose(c: SimClient, code: number): void {
    this.closeWaiters.get(c)?.();
    if (c.state === Connecting) this.fail(c, `closed ${code} before auth`);
    if (c.state === Live) {
      this.live--;
      c.state = Gone;
      if (!c.dropped && !this.closing) {
        this.counters.drops++;
        bump(this.counters.errors, `closed ${code} after auth`);
        // A device the server replaced or kicked stays off: reconnecting would fight over it.
        if (shouldReconnect(code)) this.reconnects.push(c.index);
      }
    }
  }

  /** True when device `index` is connected and authenticated. */
  isLive(index: number): boolean {
    return this.clients[index]?.state === Live;
  }

  /** Drops `count` random live clients abruptly and reconnects them at once. */
  churn(count: number): number {
    let done = 0;
    // Bounded: at most 4x count random probes.
    for (let probe = 0; probe < count * 4 && done < count; probe++) {
      const c = this.clients[Math.floor(Math.random() * this.clients.length)];
      if (c === undefined || c.state !== Live) continue;
      c.dropped = true;
      c.ws.terminate();
      this.connect(c.index);
      done++;
    }
    return done;
  }

  /** Once a second: heartbeats due, handshake timeouts, reconnects after drops. */
  sweep(): void {
    const now = epochMs();
    const timeoutMs = this.init.timeoutMs;
    for (let i = 0; i < this.clients.length; i++) {
      const c = this.clients[i];
      if (c === undefined) continue;
      if (c.state === Live && c.heartbeatMs > 0 && now >= c.nextPingAt) {
        if (c.ws.readyState === WsState.Open) c.ws.send(pingFrame(++c.seq));
        c.nextPingAt = now + c.heartbeatMs * 0.9;
      } else if (c.state === Connecting && now - c.startedAt > timeoutMs) {
        this.fail(c, `no auth within ${timeoutMs} ms`);
      }
    }
    // Bounded: at most 500 reconnects per sweep.
    for (let n = 0; n < 500 && this.reconnects.length > 0 && !this.closing; n++) this.connect(this.reconnects.shift()!);
  }

  /** Closes every socket (a normal close); answers when all are closed or after waitMs. */
  async closeAll(waitMs: number): Promise<void> {
    this.closing = true;
    const open: Promise<void>[] = [];
    for (const c of this.clients) {
      if (c === undefined || c.ws.readyState === WsState.Closed) continue;
      c.dropped = true;
      open.push(new Promise((r) => this.closeWaiters.set(c, r)));
      if (c.ws.readyState === WsState.Open) c.ws.close(1000);
      else c.ws.terminate();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(open), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    for (const c of this.clients) if (c !== undefined && c.ws.readyState !== WsState.Closed) c.ws.terminate();
    this.closeWaiters.clear();
  }
}
