import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../log/log';
import { MemoryChannel, type ChannelHost, type LocalConsumer, type StoredMessage, type TimedEvent } from './memory-channel';
import type { ConsumeOptions, Consumer, Queue, QueueHandler, TopicStats } from './queue';
import { checkConsume, checkPublish, checkTopic, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_LEN, deadTopic } from './queue-checks';
import { Deque, TimeHeap } from './queue-structs';

export interface MemoryQueueOptions {
  /** Clock, ms since the Unix epoch (default Date.now). */
  now?: () => number;
  /** Messages kept for a topic that has no channel yet (default 100000). */
  maxLen?: number;
  log?: Logger;
}

interface DeferredPublish {
  readonly body: Uint8Array;
  readonly timestamp: number;
}

interface TopicState {
  readonly name: string;
  published: number;
  /** Kept while the topic has no channel; the first durable channel takes them. */
  readonly backlog: Deque<StoredMessage>;
  readonly channels: Map<string, MemoryChannel>;
  readonly deferred: Map<string, DeferredPublish>;
}

/**
 * The in-process queue: per topic its channels, per channel a pending FIFO and an in-flight map.
 * ONE timer per queue, armed for the earliest event in a heap (delivery timeouts, delayed
 * requeues, deferred publishes); stale events (finished, touched, cancelled) are skipped when
 * popped, so a cancelled far-future deferred message costs a heap slot until its time.
 */
export function createMemoryQueue(opts: MemoryQueueOptions = {}): Queue {
  const now = opts.now ?? Date.now;
  const maxLen = opts.maxLen ?? DEFAULT_MAX_LEN;
  const log = opts.log ?? createLogger({ component: 'memory-queue' });
  const topics = new Map<string, TopicState>();
  const heap = new TimeHeap<TimedEvent>();
  const idBase = randomBytes(4).toString('hex');
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;

  const nextId = (): string => `${idBase}${(++seq).toString(16).padStart(12, '0')}`;

  function topicState(name: string): TopicState {
    let t = topics.get(name);
    if (!t) {
      t = { name, published: 0, backlog: new Deque(), channels: new Map(), deferred: new Map() };
      topics.set(name, t);
    }
    return t;
  }

  function publishNow(t: TopicState, msgs: StoredMessage[]): void {
    t.published += msgs.length;
    if (t.channels.size === 0) {
      for (const m of msgs) t.backlog.push(m);
      t.backlog.trimTo(maxLen);
      return;
    }
    for (const ch of t.channels.values()) {
      for (const m of msgs) ch.add(m);
    }
  }

  function arm(): void {
    const top = heap.peek();
    if (closed || !top) return;
    if (timer && timerAt <= top.at) return;
    if (timer) clearTimeout(timer);
    timerAt = top.at;
    timer = setTimeout(fire, Math.max(1, top.at - now()));
  }

  function fire(): void {
    timer = undefined;
    timerAt = Infinity;
    const t = now();
    for (let ev = heap.peek(); ev && ev.at <= t; ev = heap.peek()) {
      heap.pop();
      if (ev.kind === 'timeout') ev.flight.channel.timeout(ev.flight, t);
      else if (ev.kind === 'requeue') ev.channel.requeueDue(ev.entry);
      else ev.fire();
    }
    arm();
  }

  const host: ChannelHost = {
    now,
    log,
    schedule(ev) {
      if (closed) return;
      heap.push(ev);
      arm();
    },
    deadLetter(topic, messages) {
      const t = topicState(deadTopic(topic));
      const ts = now();
      publishNow(t, messages.map((m) => ({ id: nextId(), topic: t.name, body: m.body, timestamp: ts })));
    },
  };

  function channelOf(t: TopicState, name: string, ephemeral: boolean): MemoryChannel {
    let ch = t.channels.get(name);
    if (ch) return ch;
    const first = t.channels.size === 0;
    ch = new MemoryChannel(t.name, name, ephemeral, host);
    t.channels.set(name, ch);
    if (first && !ephemeral) {
      for (let m = t.backlog.shift(); m; m = t.backlog.shift()) ch.add(m);
    }
    return ch;
  }

  function consume(topic: string, channel: string, handler: QueueHandler, o: ConsumeOptions): Consumer {
    checkConsume(topic, channel, handler, o);
    if (closed) throw new Error('queue closed');
    const t = topicState(topic);
    const ch = channelOf(t, channel, o.ephemeral === true);
    const c: LocalConsumer = {
      handler,
      maxInFlight: o.maxInFlight,
      timeoutMs: o.timeoutMs,
      maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      inFlight: 0,
    };
    ch.addConsumer(c);
    let stopped = false;
    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        if (ch.removeConsumer(c) === 0 && ch.ephemeral && t.channels.get(channel) === ch) {
          ch.drop();
          t.channels.delete(channel);
        }
      },
    };
  }

  return {
    async publish(topic, bodies) {
      checkPublish(topic, bodies);
      if (closed) throw new Error('queue closed');
      const t = topicState(topic);
      const ts = now();
      const msgs = bodies.map((body) => ({ id: nextId(), topic, body, timestamp: ts }));
      publishNow(t, msgs);
      return msgs.map((m) => m.id);
    },

    async publishDeferred(topic, body, deliverAt, id) {
      checkPublish(topic, [body]);
      if (!Number.isFinite(deliverAt)) throw new Error('queue: deliverAt must be a finite number of ms');
      if (id !== undefined && (typeof id !== 'string' || id === '')) throw new Error('queue: id must be a non-empty string');
      if (closed) throw new Error('queue closed');
      const t = topicState(topic);
      const msgId = id ?? nextId();
      if (t.deferred.has(msgId)) throw new Error(`queue: deferred id ${msgId} already pending on ${topic}`);
      const d: DeferredPublish = { body, timestamp: now() };
      t.deferred.set(msgId, d);
      host.schedule({
        at: deliverAt,
        kind: 'publish',
        fire: () => {
          if (t.deferred.get(msgId) !== d) return;
          t.deferred.delete(msgId);
          publishNow(t, [{ id: msgId, topic, body, timestamp: d.timestamp }]);
        },
      });
      return msgId;
    },

    async cancelDeferred(topic, id) {
      checkTopic(topic);
      return topics.get(topic)?.deferred.delete(id) ?? false;
    },

    consume,

    async stats(): Promise<TopicStats[]> {
      return [...topics.values()].map((t) => ({
        topic: t.name,
        messages: t.published,
        deferred: t.deferred.size,
        channels: [...t.channels.values()].map((ch) => ch.stats()),
      }));
    },

    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      heap.clear();
      for (const t of topics.values()) for (const ch of t.channels.values()) ch.drop();
    },
  };
}
