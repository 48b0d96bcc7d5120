import type Redis from 'ioredis';
import type { Logger } from '../log/log';
import type { ConsumeOptions, QueueHandler } from './queue';
import { deadTopic, DEFAULT_MAX_ATTEMPTS } from './queue-checks';
import { Delivery, type Flight, type FlightOwner, type Read } from './redis-delivery';
import { channelKeys, topicKeys, type ChannelKeys, type TopicKeys } from './redis-queue-keys';
import { addDeferred, deferredValue, ensureGroup, runScript } from './redis-queue-scripts';
import { field, streamsOf } from './redis-stream-reply';

/** Requeued/timedOut/finished as this process saw them (Redis has no such counters). */
export interface ChannelCounters {
  requeued: number;
  timedOut: number;
  finished: number;
}

/** What a consumer needs from its queue. */
export interface RedisQueueContext {
  readonly redis: Redis;
  readonly log: Logger;
  readonly prefix: string;
  readonly maxLen: number;
  openBlocking(): Redis;
  counters(topic: string, channel: string): ChannelCounters;
}

const BLOCK_MAX_MS = 1000;
const CLAIM_MAX = 100;

/**
 * One consumer of a channel: a loop on its own blocking connection reading the topic stream and
 * the channel's retry stream (XREADGROUP COUNT <free slots>), and every timeoutMs/2 claiming
 * entries idle past timeoutMs (XPENDING IDLE + XCLAIM: attempts = deliveries so far + 1).
 */
export class RedisConsumer implements FlightOwner {
  private readonly flights = new Map<string, Flight>();
  private readonly tk: TopicKeys;
  private readonly ck: ChannelKeys;
  private readonly counters: ChannelCounters;
  private readonly maxAttempts: number;
  private readonly claimEvery: number;
  private readonly blocking: Redis;
  private running = true;
  private wake: (() => void) | undefined;
  private lastClaim = 0;
  /** The last topic-stream id this consumer read ('' before the group exists): where a lost group restarts. */
  private floor = '';
  readonly done: Promise<void>;

  constructor(
    private readonly ctx: RedisQueueContext,
    readonly topic: string,
    readonly channel: string,
    private readonly handler: QueueHandler,
    private readonly opts: ConsumeOptions,
    readonly name: string,
  ) {
    this.tk = topicKeys(ctx.prefix, topic);
    this.ck = channelKeys(ctx.prefix, topic, channel);
    this.counters = ctx.counters(topic, channel);
    this.maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.claimEvery = Math.max(20, Math.floor(opts.timeoutMs / 2));
    this.blocking = ctx.openBlocking();
    this.done = this.run();
  }

  /** Ends the loop; deliveries not finished stay pending in Redis and are claimed after their timeout. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    this.blocking.disconnect();
    await this.done;
    try {
      await this.leaveGroup();
    } catch (err) {
      // E.g. the groups are gone with Redis's data: nothing left to leave.
      this.ctx.log.warn('queue: leaving the group on stop failed', { topic: this.topic, channel: this.channel, err: (err as Error).message });
    }
  }

  private async leaveGroup(): Promise<void> {
    const r = this.ctx.redis;
    const [a, b] = await Promise.all([r.xpending(this.tk.stream, this.channel, '-', '+', 1, this.name), r.xpending(this.ck.retry, this.channel, '-', '+', 1, this.name)]);
    // Holding nothing: leave the group, so its consumer count is right. Holding some: stay, or
    // DELCONSUMER would drop those entries from the group's pending list.
    if (a.length === 0 && b.length === 0) {
      await Promise.all([r.xgroup('DELCONSUMER', this.tk.stream, this.channel, this.name), r.xgroup('DELCONSUMER', this.ck.retry, this.channel, this.name)]);
    }
  }

  /**
   * Makes the channel's groups (again, after Redis lost them: then from the last id read, see
   * ensureGroup). Deferred requeues and deliveries in flight at the loss are lost with the data.
   */
  private async ensureGroup(): Promise<void> {
    const again = this.floor !== '';
    const keys = [this.tk.stream, this.ck.retry, this.tk.ephemeral];
    const last = await runScript(this.ctx.redis, ensureGroup, keys, [this.channel, this.opts.ephemeral ? '0' : '1', this.floor]);
    this.floor = String(last);
    // Registered at once (Redis 7.0 adds a consumer only when it first gets an entry), so stats count it.
    await Promise.all(keys.slice(0, 2).map((k) => this.ctx.redis.xgroup('CREATECONSUMER', k, this.channel, this.name)));
    if (again) this.ctx.log.warn('queue: channel groups made again after they were lost', { topic: this.topic, channel: this.channel, from: this.floor });
  }

  private async run(): Promise<void> {
    let needGroup = true;
    while (this.running) {
      try {
        if (needGroup) {
          await this.ensureGroup();
          needGroup = false;
        }
        await this.tick();
      } catch (err) {
        if (!this.running) break;
        const msg = (err as Error).message;
        this.ctx.log.warn('queue: consume failed; retrying', { topic: this.topic, channel: this.channel, err: msg });
        // NOGROUP: the group (or the whole stream) is gone; UNBLOCKED: the stream was deleted while read.
        const lost = msg.includes('NOGROUP') || msg.includes('UNBLOCKED');
        if (lost) needGroup = true;
        await this.pause(lost ? 100 : 500);
      }
    }
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    this.expire(now);
    let free = this.opts.maxInFlight - this.flights.size;
    if (free > 0 && now - this.lastClaim >= this.claimEvery) {
      this.lastClaim = now;
      free -= await this.claim(free);
    }
    if (free <= 0) {
      await this.pause(this.claimEvery);
      return;
    }
    const block = Math.min(BLOCK_MAX_MS, this.claimEvery);
    const reply = await this.blocking.callBuffer('XREADGROUP', 'GROUP', this.channel, this.name, 'COUNT', free, 'BLOCK', block, 'STREAMS', this.tk.stream, this.ck.retry, '>', '>');
    const reads: Read[] = [];
    for (const [key, entries] of streamsOf(reply)) {
      const stream = key.toString();
      const retry = stream === this.ck.retry;
      for (const [rawSid, fields] of entries) {
        const sid = rawSid.toString();
        // '>' reads come in id order: the last one is where a lost group would restart.
        if (!retry) this.floor = sid;
        if (!fields) continue;
        const before = retry ? Number(field(fields, 'a')?.toString() ?? 0) : 0;
        reads.push({ stream, sid, fields, attempts: before + 1 });
      }
    }
    if (reads.length > 0) await this.deliver(reads);
  }

  /** Claims entries of the channel idle past timeoutMs, whoever held them; answers how many. */
  private async claim(free: number): Promise<number> {
    const r = this.ctx.redis;
    const t = this.opts.timeoutMs;
    let claimed = 0;
    for (const stream of [this.tk.stream, this.ck.retry]) {
      if (claimed >= free) break;
      const pending = (await r.xpending(stream, this.channel, 'IDLE', t, '-', '+', Math.min(free - claimed, CLAIM_MAX))) as [string, string, number, number][];
      if (pending.length === 0) continue;
      const counts = new Map(pending.map((p) => [p[0], Number(p[3])]));
      const got = (await r.callBuffer('XCLAIM', stream, this.channel, this.name, t, ...pending.map((p) => p[0]))) as ([Buffer, Buffer[] | null] | null)[];
      const reads: Read[] = [];
      for (const e of got) {
        if (!e || !e[1]) continue;
        const sid = e[0].toString();
        const before = stream === this.ck.retry ? Number(field(e[1], 'a')?.toString() ?? 0) : 0;
        reads.push({ stream, sid, fields: e[1], attempts: before + (counts.get(sid) ?? 0) + 1 });
      }
      claimed += reads.length;
      if (reads.length > 0) await this.deliver(reads);
    }
    return claimed;
  }

  /** Builds the batch (dead-lettering what is past maxAttempts) and hands it to the handler. */
  private async deliver(reads: Read[]): Promise<void> {
    const batch: Delivery[] = [];
    const dead: Read[] = [];
    const deadline = Date.now() + this.opts.timeoutMs;
    for (const rd of reads) {
      if (rd.attempts > this.maxAttempts) {
        dead.push(rd);
        continue;
      }
      const key = `${rd.stream === this.ck.retry ? 'r' : 't'}${rd.sid}`;
      if (this.flights.has(key)) this.counters.timedOut++;
      const body = field(rd.fields, 'b') ?? Buffer.alloc(0);
      const flight: Flight = {
        key,
        stream: rd.stream,
        sid: rd.sid,
        id: field(rd.fields, 'i')?.toString() ?? rd.sid,
        body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
        timestamp: Number(field(rd.fields, 't')?.toString() ?? 0),
        attempts: rd.attempts,
        deadline,
      };
      this.flights.set(key, flight);
      batch.push(new Delivery(this, flight, this.topic));
    }
    if (dead.length > 0) await this.deadLetter(dead.map((rd) => ({ stream: rd.stream, sid: rd.sid, body: field(rd.fields, 'b') ?? Buffer.alloc(0) })));
    if (batch.length > 0) this.invoke(batch);
  }

  private invoke(batch: Delivery[]): void {
    let result: void | Promise<void>;
    try {
      result = this.handler(batch);
    } catch (err) {
      this.failBatch(batch, err);
      return;
    }
    if (result && typeof result.then === 'function') result.then(undefined, (err: unknown) => this.failBatch(batch, err));
  }

  private failBatch(batch: Delivery[], err: unknown): void {
    this.ctx.log.warn('queue handler failed; requeueing its batch', { topic: this.topic, channel: this.channel, err: err instanceof Error ? err.message : String(err) });
    for (const d of batch) {
      d.requeue(0).catch((e: unknown) => this.ctx.log.warn('queue: requeue after a failed handler failed', { err: (e as Error).message }));
    }
  }

  /** Publishes to `<topic>.dead` and acks here, in one transaction. */
  private async deadLetter(items: { stream: string; sid: string; body: Uint8Array }[]): Promise<void> {
    const deadKey = topicKeys(this.ctx.prefix, deadTopic(this.topic)).stream;
    const tx = this.ctx.redis.multi();
    const ts = String(Date.now());
    for (const it of items) {
      tx.xadd(deadKey, 'MAXLEN', '~', this.ctx.maxLen, '*', 'b', Buffer.from(it.body.buffer, it.body.byteOffset, it.body.byteLength), 't', ts);
      tx.xack(it.stream, this.channel, it.sid);
    }
    await tx.exec();
    this.counters.finished += items.length;
  }

  /** Local deadlines: a delivery past its timeout is stale here (finish/requeue ignored); Redis redelivers it. */
  private expire(now: number): void {
    for (const f of this.flights.values()) {
      if (f.deadline > now) continue;
      this.flights.delete(f.key);
      this.counters.timedOut++;
    }
  }

  private release(f: Flight): boolean {
    if (this.flights.get(f.key) !== f) return false;
    this.flights.delete(f.key);
    this.wake?.();
    return true;
  }

  async finish(f: Flight): Promise<void> {
    if (!this.release(f)) return;
    await this.ctx.redis.xack(f.stream, this.channel, f.sid);
    this.counters.finished++;
  }

  /** XACK + XADD to the channel's retry stream (no delay) or to its deferred zset, in one transaction. */
  async requeue(f: Flight, delayMs: number): Promise<void> {
    if (!this.release(f)) return;
    if (f.attempts >= this.maxAttempts) return this.deadLetter([f]);
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? Math.ceil(delayMs) : 0;
    const meta = { t: String(f.timestamp), i: f.id, a: String(f.attempts) };
    if (delay === 0) {
      const tx = this.ctx.redis.multi();
      tx.xack(f.stream, this.channel, f.sid);
      tx.xadd(this.ck.retry, 'MAXLEN', '~', this.ctx.maxLen, '*', 'b', Buffer.from(f.body), 't', meta.t, 'i', meta.i, 'a', meta.a);
      await tx.exec();
      this.counters.requeued++;
      return;
    }
    // Not one transaction with the XACK: a crash in between redelivers (at least once), never loses.
    const member = `${f.stream === this.ck.retry ? 'r' : 't'}${f.sid}`;
    await runScript(this.ctx.redis, addDeferred, [this.ck.deferred, this.ck.deferredBodies], [member, Date.now() + delay, deferredValue(meta, f.body)]);
    await this.ctx.redis.xack(f.stream, this.channel, f.sid);
    this.counters.requeued++;
  }

  async touch(f: Flight): Promise<void> {
    if (this.flights.get(f.key) !== f) return;
    f.deadline = Date.now() + this.opts.timeoutMs;
    await this.ctx.redis.xclaim(f.stream, this.channel, this.name, 0, f.sid, 'JUSTID');
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
