import type { TemplatedApp } from 'uWebSockets.js';
import type { Message } from '../../shared/contracts/saver';
import { decodeTask, type FanoutTask } from '../../shared/contracts/tasks';
import type { QueueHandler, QueueMessage } from '../../shared/queue/queue';
import type { RoomContext } from './context';
import { encodePush } from './push-frame';
import { uwsTopicOf } from './topics';

/** A fan-out task ready to publish: its uWS topic and its Push frame, encoded once. */
interface Ready {
  task: FanoutTask;
  topic: string;
  frame: Uint8Array;
}

const MAX_TOPIC_LENGTH = 128;

/** Why a decoded task cannot be published, or undefined when it can. */
export function checkFanoutTask(t: FanoutTask): string | undefined {
  const m = t.message as Partial<Message> | undefined;
  if (!m || typeof m.id !== 'string' || m.id === '' || typeof m.app !== 'string' || m.app === '') return 'message needs an id and an app';
  if (typeof t.log !== 'string' || t.log.length > MAX_TOPIC_LENGTH) return 'log must be a string of at most 128 characters';
  if (typeof t.seq !== 'number' || !Number.isSafeInteger(t.seq) || t.seq < 0) return 'seq must be an integer >= 0';
  if (m.kind === 'broadcast' && t.log !== '') return 'a broadcast goes to log ""';
  if (m.kind === 'topic' && t.log === '') return 'a topic message names its topic in log';
  if (m.kind !== 'broadcast' && m.kind !== 'topic') return `kind ${JSON.stringify(m.kind)} is not broadcast or topic`;
  if (typeof m.expires !== 'number' || typeof m.created !== 'number' || (m.qos !== 0 && m.qos !== 1)) return 'message needs created, expires and qos';
  return undefined;
}

/** Decodes a batch; bad tasks are logged and counted (the caller finishes them), expired ones skipped. */
function prepare(ctx: RoomContext, messages: QueueMessage[], now: number): Ready[] {
  const ready: Ready[] = [];
  for (const qm of messages) {
    let task: FanoutTask;
    try {
      task = decodeTask<FanoutTask>(qm.body);
      const problem = checkFanoutTask(task);
      if (problem) throw new Error(problem);
    } catch (err) {
      ctx.metrics.fanoutBad.inc();
      ctx.log.warn('bad fan-out task dropped', { queueId: qm.id, err });
      continue;
    }
    if (task.message.expires > 0 && task.message.expires <= now) {
      ctx.metrics.fanoutExpired.inc();
      continue;
    }
    ready.push({ task, topic: uwsTopicOf(task.message.app, task.log), frame: encodePush(task.message) });
  }
  return ready;
}

/** Handler calls waiting for the next flush: their messages and how to settle their promises. */
interface Waiting {
  messages: QueueMessage[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The room's consumer of the fan-out topic. Batches handed over within fanoutWindowMs of the
 * first (several queue deliveries, several consumers' batches, a burst of broadcasts posted
 * together) are accumulated and flushed ONCE, so all their publishes land in one uWS loop
 * iteration and each socket gets one coalesced write; with fanoutWindowMs 0, those of one
 * event-loop turn. Per flush: decode every task and encode its Push once; publish them all
 * to the local uWS topics in ONE synchronous pass (no await in it); then remember the logged
 * ids for acks, count their deliveries (one saver call) and finish the queue messages. Each
 * handler call's promise settles with its flush: a failure before the publish pass rejects
 * (the queue requeues, nothing is lost); after it, the messages are finished (requeueing would
 * deliver them twice).
 */
export function createFanoutHandler(ctx: RoomContext, app: TemplatedApp): QueueHandler {
  let waiting: Waiting[] = [];
  const flush = (): void => {
    const batch = waiting;
    waiting = [];
    const messages: QueueMessage[] = batch.length === 1 ? batch[0].messages : batch.flatMap((w) => w.messages);
    publishBatch(ctx, app, messages).then(
      () => { for (const w of batch) w.resolve(); },
      (err: unknown) => { for (const w of batch) w.reject(err); },
    );
  };
  return (messages) =>
    new Promise<void>((resolve, reject) => {
      if (waiting.length === 0) {
        if (ctx.config.fanoutWindowMs > 0) setTimeout(flush, ctx.config.fanoutWindowMs);
        else setImmediate(flush);
      }
      waiting.push({ messages, resolve, reject });
    });
}

/** One flush: the synchronous publish pass over every task, then the bookkeeping. */
async function publishBatch(ctx: RoomContext, app: TemplatedApp, messages: QueueMessage[]): Promise<void> {
  const now = Date.now();
  const ready = prepare(ctx, messages, now);
  const subscribers: number[] = new Array<number>(ready.length);
  let logged = 0;
  let pushes = 0;
  // The publish pass: synchronous on purpose.
  for (let i = 0; i < ready.length; i++) {
    const r = ready[i];
    subscribers[i] = app.numSubscribers(r.topic);
    if (subscribers[i] > 0) app.publish(r.topic, r.frame, true);
    pushes += subscribers[i];
    if (r.task.seq > 0) logged++;
  }
  if (logged > 0) ctx.logPublishes++;
  ctx.metrics.fanoutTasks.inc(ready.length);
  ctx.metrics.pushesSent.inc(pushes);
  ctx.metrics.framesOut.push.inc(pushes);
  const counts: { app: string; id: string; delivered: number }[] = [];
  for (let i = 0; i < ready.length; i++) {
    const { task } = ready[i];
    if (task.seq <= 0) continue;
    const m = task.message;
    ctx.logIds.remember(m.id, { app: m.app, log: task.log, seq: task.seq, expires: m.expires });
    if (subscribers[i] > 0) counts.push({ app: m.app, id: m.id, delivered: subscribers[i] });
  }
  await countDelivered(ctx, counts);
  await finishAll(ctx, messages);
}

async function countDelivered(ctx: RoomContext, counts: { app: string; id: string; delivered: number }[]): Promise<void> {
  if (counts.length === 0) return;
  try {
    await ctx.saver.countLogDelivered(counts);
  } catch (err) {
    // Only the delivered counts of the status suffer; the pushes went out.
    ctx.metrics.errors.inc();
    ctx.log.warn('countLogDelivered failed', { messages: counts.length, err });
  }
}

async function finishAll(ctx: RoomContext, messages: QueueMessage[]): Promise<void> {
  const results = await Promise.allSettled(messages.map((m) => m.finish()));
  for (const r of results) {
    if (r.status === 'fulfilled') continue;
    // Redelivered after its timeout: sockets may get it twice (at least once).
    ctx.metrics.errors.inc();
    ctx.log.warn('fan-out finish failed', { err: r.reason });
  }
}
