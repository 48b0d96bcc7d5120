import type { Logger } from '../log/log';
import type { ChannelStats, QueueHandler, QueueMessage } from './queue';
import { Deque } from './queue-structs';

/** A published message, shared by every channel of its topic. */
export interface StoredMessage {
  readonly id: string;
  readonly topic: string;
  readonly body: Uint8Array;
  readonly timestamp: number;
}

/** One channel's copy of a message: its own attempt count. */
interface Entry {
  readonly msg: StoredMessage;
  attempts: number;
  /** The current delivery, if in flight. Keyed on the entry, not the id: ids may repeat. */
  flight: Flight | undefined;
}

export interface LocalConsumer {
  readonly handler: QueueHandler;
  readonly maxInFlight: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  inFlight: number;
}

/** One delivery of an entry to a consumer; stale once finished, requeued or timed out. */
export interface Flight {
  readonly channel: MemoryChannel;
  readonly entry: Entry;
  readonly consumer: LocalConsumer;
  deadline: number;
}

export type TimedEvent =
  | { at: number; kind: 'timeout'; flight: Flight }
  | { at: number; kind: 'requeue'; channel: MemoryChannel; entry: Entry }
  | { at: number; kind: 'publish'; fire: () => void };

/** What a channel needs from its queue: the clock, the one timer, the dead-letter topic. */
export interface ChannelHost {
  now(): number;
  schedule(event: TimedEvent): void;
  deadLetter(topic: string, messages: StoredMessage[]): void;
  log: Logger;
}

const done: Promise<void> = Promise.resolve();

class Delivery implements QueueMessage {
  readonly attempts: number;
  constructor(private readonly flight: Flight) {
    this.attempts = flight.entry.attempts;
  }
  get id(): string {
    return this.flight.entry.msg.id;
  }
  get topic(): string {
    return this.flight.entry.msg.topic;
  }
  get body(): Uint8Array {
    return this.flight.entry.msg.body;
  }
  get timestamp(): number {
    return this.flight.entry.msg.timestamp;
  }
  finish(): Promise<void> {
    this.flight.channel.finish(this.flight);
    return done;
  }
  requeue(delayMs = 0): Promise<void> {
    this.flight.channel.requeue(this.flight, delayMs);
    return done;
  }
  touch(): Promise<void> {
    this.flight.channel.touch(this.flight);
    return done;
  }
}

/** A memory channel: pending FIFO, in-flight map (deadlines in the queue's timer heap), deferred count. */
export class MemoryChannel {
  private readonly pending = new Deque<Entry>();
  private inFlight = 0;
  readonly consumers: LocalConsumer[] = [];
  private deferred = 0;
  private requeued = 0;
  private timedOut = 0;
  private finished = 0;
  private dropped = false;
  private rr = 0;
  private scheduled = false;

  constructor(
    readonly topic: string,
    readonly name: string,
    readonly ephemeral: boolean,
    private readonly host: ChannelHost,
  ) {}

  add(msg: StoredMessage): void {
    this.pending.push({ msg, attempts: 0, flight: undefined });
    this.schedule();
  }

  addConsumer(c: LocalConsumer): void {
    this.consumers.push(c);
    this.schedule();
  }

  /** Answers how many consumers remain. Its in-flight deliveries stay until they time out. */
  removeConsumer(c: LocalConsumer): number {
    const i = this.consumers.indexOf(c);
    if (i >= 0) this.consumers.splice(i, 1);
    return this.consumers.length;
  }

  drop(): void {
    this.dropped = true;
    this.pending.clear();
    this.inFlight = 0;
  }

  stats(): ChannelStats {
    return {
      channel: this.name,
      depth: this.pending.length,
      inFlight: this.inFlight,
      deferred: this.deferred,
      requeued: this.requeued,
      timedOut: this.timedOut,
      finished: this.finished,
      consumers: this.consumers.length,
      ephemeral: this.ephemeral,
    };
  }

  finish(f: Flight): void {
    if (!this.release(f)) return;
    this.finished++;
    this.schedule();
  }

  requeue(f: Flight, delayMs: number): void {
    if (!this.release(f)) return;
    this.requeued++;
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    if (delay > 0) {
      this.deferred++;
      this.host.schedule({ at: this.host.now() + delay, kind: 'requeue', channel: this, entry: f.entry });
    } else {
      this.pending.push(f.entry);
    }
    this.schedule();
  }

  touch(f: Flight): void {
    if (f.entry.flight !== f) return;
    f.deadline = this.host.now() + f.consumer.timeoutMs;
    this.host.schedule({ at: f.deadline, kind: 'timeout', flight: f });
  }

  /** From the timer: a delivery's deadline passed (ignored if finished or touched since). */
  timeout(f: Flight, now: number): void {
    if (f.deadline > now || !this.release(f)) return;
    this.timedOut++;
    this.pending.push(f.entry);
    this.schedule();
  }

  /** From the timer: a delayed requeue is due. */
  requeueDue(entry: Entry): void {
    if (this.dropped) return;
    this.deferred--;
    this.pending.push(entry);
    this.schedule();
  }

  private release(f: Flight): boolean {
    if (f.entry.flight !== f || this.dropped) return false;
    f.entry.flight = undefined;
    this.inFlight--;
    f.consumer.inFlight--;
    return true;
  }

  private schedule(): void {
    if (this.scheduled || this.dropped) return;
    this.scheduled = true;
    // setImmediate, not a microtask: batches what one turn published, and a long backlog
    // drained by synchronous handlers still yields to I/O between batches.
    setImmediate(() => this.dispatch());
  }

  /** Hands pending entries round-robin to consumers with free slots, then calls each handler once. */
  private dispatch(): void {
    this.scheduled = false;
    const n = this.consumers.length;
    if (this.dropped || n === 0 || this.pending.length === 0) return;
    const batches: (Delivery[] | undefined)[] = new Array(n);
    let dead: StoredMessage[] | undefined;
    let full = 0;
    const now = this.host.now();
    while (this.pending.length > 0 && full < n) {
      const i = this.rr++ % n;
      const c = this.consumers[i];
      if (c.inFlight >= c.maxInFlight) {
        full++;
        continue;
      }
      full = 0;
      const entry = this.pending.shift() as Entry;
      if (entry.attempts >= c.maxAttempts) {
        (dead ??= []).push(entry.msg);
        this.finished++;
        continue;
      }
      entry.attempts++;
      const flight: Flight = { channel: this, entry, consumer: c, deadline: now + c.timeoutMs };
      entry.flight = flight;
      this.inFlight++;
      c.inFlight++;
      this.host.schedule({ at: flight.deadline, kind: 'timeout', flight });
      (batches[i] ??= []).push(new Delivery(flight));
    }
    if (dead) this.host.deadLetter(this.topic, dead);
    const consumers = this.consumers.slice();
    for (let i = 0; i < n; i++) {
      const batch = batches[i];
      if (batch) this.invoke(consumers[i], batch);
    }
  }

  private invoke(c: LocalConsumer, batch: Delivery[]): void {
    let result: void | Promise<void>;
    try {
      result = c.handler(batch);
    } catch (err) {
      this.failBatch(batch, err);
      return;
    }
    if (result && typeof result.then === 'function') {
      result.then(undefined, (err: unknown) => this.failBatch(batch, err));
    }
  }

  private failBatch(batch: Delivery[], err: unknown): void {
    this.host.log.warn('queue handler failed; requeueing its batch', {
      topic: this.topic,
      channel: this.name,
      err: err instanceof Error ? err.message : String(err),
    });
    for (const d of batch) void d.requeue(0);
  }
}
