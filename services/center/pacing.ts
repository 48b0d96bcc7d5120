import type { DeviceKey, Session } from '../../shared/contracts/register';
import type { Message } from '../../shared/contracts/saver';
import { type DeferredPush, type PushTarget, QueueTopics } from '../../shared/contracts/tasks';
import type { QueueMessage } from '../../shared/queue/queue';
import type { CenterContext } from './context';
import type { LogRef } from './push';
import { MAX_RATE } from './push-request';
import { checkTaskTarget, isPaceable } from './push-target';
import { type TaskResult, type Worker, startWorker } from './worker';

/** A paced push on the queue: DeferredPush plus the message's log seq (0 = not logged). */
export interface PacedTask extends DeferredPush {
  seq: number;
}

/** Deliveries go out every TICK_MS, rate / (1000 / TICK_MS) of them each time. */
const TICK_MS = 100;
/** The queue message is touched every this many ticks (and after every page of targets). */
const TOUCH_EVERY = 10;

function checkPaced(t: PacedTask): string | undefined {
  if (typeof t.rate !== 'number' || !Number.isInteger(t.rate) || t.rate < 1 || t.rate > MAX_RATE) return 'rate must be 1..100000';
  if (typeof t.seq !== 'number' || !Number.isInteger(t.seq) || t.seq < 0) return 'seq must be a non-negative integer';
  const bad = checkTaskTarget(t.to);
  if (bad) return bad;
  return isPaceable(t.to) ? undefined : 'to must be {all}, {topic} or {tags, mode}';
}

/** Resolves when ms have passed or the signal aborts, whichever comes first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * The online targets of a paced push, a page at a time. all: every live room's sessions of the
 * app; topic: the subscribers that are online; tags: the tagged devices, each page stored first
 * (tag pushes have no log, so offline tagged devices get it from their inbox).
 */
async function* onlineTargets(ctx: CenterContext, message: Message, to: PushTarget, qm: QueueMessage): AsyncGenerator<Session[]> {
  const { register, config } = ctx;
  const app = message.app;
  if ('all' in to) {
    for (const room of await ctx.registry.list()) {
      yield (await register.listRoom(room.id)).filter((s) => s.app === app);
      await qm.touch();
    }
    return;
  }
  const tags = 'tags' in to ? to : undefined;
  const topic = 'topic' in to ? to.topic : undefined;
  if (!tags && topic === undefined) return;
  let cursor = '';
  do {
    const page = tags
      ? await register.devicesByTags(app, tags.tags, tags.mode, cursor, config.lookupBatch)
      : await register.subscribers(app, topic as string, cursor, config.lookupBatch);
    if (page.devices.length) {
      if (tags) {
        const keys: DeviceKey[] = page.devices.map((device) => ({ app, device }));
        await ctx.saver.store(message, keys);
      }
      yield await register.lookupDevices(app, page.devices);
    }
    await qm.touch();
    cursor = page.cursor;
  } while (cursor !== '');
}

/**
 * Hands the online targets to their rooms at most ceil(rate / 10) every 100 ms: tick k starts no
 * earlier than k * 100 ms after the first, so the push never runs faster than its rate.
 */
export async function runPaced(ctx: CenterContext, task: PacedTask, qm: QueueMessage, signal: AbortSignal): Promise<TaskResult> {
  const perTick = Math.ceil(task.rate / (1000 / TICK_MS));
  const logRef: LogRef | undefined = task.seq > 0 ? { log: task.message.topic ?? '', seq: task.seq } : undefined;
  const started = Date.now();
  let tick = 0;
  let budget = perTick;
  let total = 0;
  for await (const sessions of onlineTargets(ctx, task.message, task.to, qm)) {
    for (let i = 0; i < sessions.length; ) {
      if (budget === 0) {
        tick++;
        await sleep(started + tick * TICK_MS - Date.now(), signal);
        if (tick % TOUCH_EVERY === 0) await qm.touch();
        budget = perTick;
      }
      if (signal.aborted) {
        ctx.log.warn('paced push interrupted by stop, requeued', { id: task.message.id, delivered: total });
        return 'again';
      }
      const n = Math.min(budget, sessions.length - i);
      await ctx.sender.toRooms(task.message, sessions.slice(i, i + n), logRef);
      i += n;
      budget -= n;
      total += n;
    }
  }
  ctx.log.info('paced push done', { id: task.message.id, delivered: total, ms: Date.now() - started });
  return 'done';
}

/** The paced consumer: one push at a time per center (each takes as long as its rate says). */
export function startPacedWorker(ctx: CenterContext): Worker {
  return startWorker<PacedTask>(ctx, {
    topic: QueueTopics.paced,
    maxInFlight: 1,
    timeoutMs: ctx.config.taskTimeoutMs,
    check: checkPaced,
    run: (task, qm, signal) => runPaced(ctx, task, qm, signal),
  });
}
