/**
 * The parent's side of the client workers: forks them, hands each a contiguous range of
 * devices and its own source addresses, sums what they report, and tracks which unicast
 * sequence numbers arrived (for the loss check) and when every worker saw a broadcast.
 */
import type { ChildProcess } from 'node:child_process';
import { addSparse, newHistogram } from './histogram';
import { bump, type ClientMode, type WorkerCommand, type WorkerEvent } from './ipc';
import { forkScript } from './target';

/** Counters summed over workers; `second` ones are reset by the monitor every second. */
export interface Tally {
  connects: number;
  connectFails: number;
  drops: number;
  deliveries: number;
  acks: number;
  pushes: number;
  pushFails: number;
  errors: Record<string, number>;
  latency: Uint32Array;
  connectLatency: Uint32Array;
  pushLatency: Uint32Array;
}

export function newTally(): Tally {
  return { connects: 0, connectFails: 0, drops: 0, deliveries: 0, acks: 0, pushes: 0, pushFails: 0, errors: {}, latency: newHistogram(), connectLatency: newHistogram(), pushLatency: newHistogram() };
}

/** Adds per-second counters into the run totals. */
export function addTally(into: Tally, t: Tally): void {
  into.connects += t.connects;
  into.connectFails += t.connectFails;
  into.drops += t.drops;
  into.deliveries += t.deliveries;
  into.acks += t.acks;
  into.pushes += t.pushes;
  into.pushFails += t.pushFails;
  for (const [k, n] of Object.entries(t.errors)) bump(into.errors, k, n);
  for (const key of ['latency', 'connectLatency', 'pushLatency'] as const) for (let i = 0; i < t[key].length; i++) into[key][i] += t[key][i];
}

/** Arrival of one broadcast over all workers (ms since the epoch). */
export interface BroadcastArrival {
  count: number;
  first: number;
  last: number;
  complete: boolean;
}

/** A set of sequence numbers with counts (0..255), growing as needed. */
export class SeqCounts {
  private counts = new Uint8Array(1 << 16);
  add(seq: number): number {
    if (seq >= this.counts.length) {
      const bigger = new Uint8Array(Math.max(seq + 1, this.counts.length * 2));
      bigger.set(this.counts);
      this.counts = bigger;
    }
    const c = this.counts[seq];
    if (c < 255) this.counts[seq] = c + 1;
    return c + 1;
  }
  get(seq: number): number {
    return seq < this.counts.length ? this.counts[seq] : 0;
  }
}

interface Waiter {
  n: number;
  done: Map<number, { count: number; first: number; last: number }>;
  resolve(a: BroadcastArrival): void;
}

/** Client worker processes and what they report. */
export class Fleet {
  readonly procs: ChildProcess[] = [];
  /** Per-second counters (the monitor takes and resets them). */
  second = newTally();
  readonly connected: number[];
  readonly received = new SeqCounts();
  duplicates = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly connectWaits: (() => void)[] = [];
  private connectDone = 0;
  readonly per: number;

  constructor(
    readonly workers: number,
    readonly devices: number,
  ) {
    this.connected = new Array<number>(workers).fill(0);
    this.per = Math.ceil(devices / workers);
  }

  /** Forks the workers and sends them their settings; resolves when all are ready. */
  async start(mode: ClientMode, url: string, app: string, secret: string, devicePrefix: string, trackSeqs: boolean, timeoutMs = 20_000): Promise<void> {
    const ready: Promise<void>[] = [];
    for (let w = 0; w < this.workers; w++) {
      const p = forkScript('worker');
      this.procs.push(p);
      ready.push(new Promise((resolve, reject) => {
        p.once('exit', (code) => reject(new Error(`worker ${w} exited with code ${code}`)));
        p.on('message', (e: WorkerEvent) => (e.type === 'ready' ? resolve() : this.onEvent(e)));
      }));
      // Each worker its own /24 of 127.0.0.0/8: 250 source addresses, ~28k ports each.
      const localAddresses = Array.from({ length: 250 }, (_, i) => `127.${1 + Math.floor(w / 250)}.${w % 250}.${i + 2}`);
      this.send(w, { type: 'init', worker: w, mode, url, app, secret, devicePrefix, localAddresses, timeoutMs, trackSeqs });
    }
    await Promise.all(ready);
  }

  private send(w: number, cmd: WorkerCommand): void {
    const p = this.procs[w];
    if (p.connected) p.send(cmd);
  }

  private onEvent(e: WorkerEvent): void {
    switch (e.type) {
      case 'stats': {
        const t = this.second;
        this.connected[e.worker] = e.connected;
        t.connects += e.connects;
        t.connectFails += e.connectFails;
        t.drops += e.drops;
        t.deliveries += e.deliveries;
        t.acks += e.acks;
        for (const [k, n] of Object.entries(e.errors)) bump(t.errors, k, n);
        addSparse(t.latency, e.latency);
        addSparse(t.connectLatency, e.connectLatency);
        for (const s of e.seqs) if (this.received.add(s) > 1) this.duplicates++;
        return;
      }
      case 'broadcastDone':
        for (const w of this.waiters) if (w.n === e.n) this.onBroadcastDone(w, e.worker, e);
        return;
      case 'connectDone':
        this.connected[e.worker] = e.connected;
        if (++this.connectDone === this.workers) this.connectWaits.splice(0).forEach((r) => r());
        return;
      default:
        return;
    }
  }

  private onBroadcastDone(w: Waiter, worker: number, seen: { count: number; first: number; last: number }): void {
    w.done.set(worker, seen);
    const expected = this.connected.filter((n) => n > 0).length;
    if (w.done.size >= expected) w.resolve(this.arrival(w, true));
  }

  private arrival(w: Waiter, complete: boolean): BroadcastArrival {
    let count = 0;
    let first = Infinity;
    let last = 0;
    for (const s of w.done.values()) {
      count += s.count;
      first = Math.min(first, s.first);
      last = Math.max(last, s.last);
    }
    return { count, first, last, complete };
  }

  /** Arrival of broadcast n at every worker with clients, or what arrived by timeoutMs. */
  waitBroadcast(n: number, timeoutMs: number): Promise<BroadcastArrival> {
    return new Promise((resolve) => {
      const w: Waiter = {
        n,
        done: new Map(),
        resolve: (a) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(a);
        },
      };
      const timer = setTimeout(() => w.resolve(this.arrival(w, false)), timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Each worker's devices in `share` (fractions of its range, [0, 1] = all of them). */
  private rangeOf(w: number, share: readonly [number, number]): [number, number] {
    const from = w * this.per;
    const len = Math.max(0, Math.min(this.devices, from + this.per) - from);
    return [from + Math.floor(share[0] * len), from + Math.floor(share[1] * len)];
  }

  /** How many devices `share` of every worker's range holds. */
  countIn(share: readonly [number, number]): number {
    let n = 0;
    for (let w = 0; w < this.workers; w++) {
      const [from, to] = this.rangeOf(w, share);
      n += to - from;
    }
    return n;
  }

  /**
   * Connects the devices in `share` of every worker's range (default all) at `rate` per second
   * overall; resolves when every worker settled (or at timeoutMs) with the total connected.
   */
  async connectAll(rate: number, inflight: number, timeoutMs: number, share: readonly [number, number] = [0, 1]): Promise<number> {
    this.connectDone = 0;
    const settled = new Promise<void>((r) => this.connectWaits.push(r));
    for (let w = 0; w < this.workers; w++) {
      const [from, to] = this.rangeOf(w, share);
      this.send(w, { type: 'connect', from, to, rate: Math.max(1, rate / this.workers), inflight });
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
    return this.totalConnected();
  }

  totalConnected(): number {
    return this.connected.reduce((a, b) => a + b, 0);
  }

  /** Drops and reconnects `count` devices, spread over the workers. */
  churn(count: number): void {
    for (let w = 0; w < this.workers; w++) {
      const share = Math.floor(count / this.workers) + (w < count % this.workers ? 1 : 0);
      if (share > 0) this.send(w, { type: 'churn', count: share });
    }
  }

  /** Closes every worker's sockets and waits for the workers to exit (killed after waitMs). */
  async close(waitMs = 10_000): Promise<void> {
    await Promise.all(this.procs.map(async (p, w) => {
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      this.send(w, { type: 'close' });
      const timer = setTimeout(() => p.kill('SIGKILL'), waitMs);
      await exited;
      clearTimeout(timer);
    }));
  }
}
