import type { Message } from '../../shared/contracts/saver';
import { decodeTask } from '../../shared/contracts/tasks';
import { counter } from '../../shared/metrics/metrics';
import type { Consumer, QueueMessage } from '../../shared/queue/queue';
import type { CenterContext } from './context';

/** Every center consumes the center topics on this one channel, so they share the tasks. */
export const CENTERS_CHANNEL = 'centers';

/** 'done' finishes the queue message; 'again' requeues it now (the center is stopping). */
export type TaskResult = 'done' | 'again';

export interface WorkerOptions<T> {
  topic: string;
  maxInFlight: number;
  timeoutMs: number;
  /** Why a decoded task is malformed, or undefined when it is fine. */
  check(task: T): string | undefined;
  /** Runs one task; throwing requeues it after the retry delay. signal aborts on stop(). */
  run(task: T, qm: QueueMessage, signal: AbortSignal): Promise<TaskResult>;
}

/** A queue consumer on the centers channel. */
export interface Worker {
  /** Stops taking tasks, aborts the running ones and waits for them; safe twice. */
  stop(): Promise<void>;
}

/** Checks the message fields a task must carry (the saver checks the rest). */
export function checkMessage(m: Message): string | undefined {
  if (typeof m.id !== 'string' || typeof m.app !== 'string' || typeof m.kind !== 'string') return 'message has no id, app or kind';
  if (typeof m.created !== 'number' || typeof m.expires !== 'number' || (m.qos !== 0 && m.qos !== 1)) return 'message has bad times or qos';
  return undefined;
}

/** Consumes a center topic: decodes each task, runs it, finishes or requeues it; bad tasks go to `<topic>.dead`. */
export function startWorker<T extends { message: Message }>(ctx: CenterContext, opts: WorkerOptions<T>): Worker {
  const { log, queue } = ctx;
  const tasks = counter(ctx.metrics, 'herald_center_tasks_total', 'Queue tasks run by this center, by topic and outcome', ['topic', 'outcome']);
  const abort = new AbortController();
  const running = new Set<Promise<void>>();
  const topic = opts.topic;

  async function deadLetter(qm: QueueMessage, why: string): Promise<void> {
    tasks.inc({ topic, outcome: 'bad' });
    log.error('bad queue task, dead-lettered', { topic, queueId: qm.id, why });
    await queue.publish(`${topic}.dead`, [qm.body]);
    await qm.finish();
  }

  async function one(qm: QueueMessage): Promise<void> {
    let task: T;
    try {
      task = decodeTask<T>(qm.body);
    } catch (err) {
      return deadLetter(qm, (err as Error).message);
    }
    const bad = checkMessage(task.message) ?? opts.check(task);
    if (bad) return deadLetter(qm, bad);
    try {
      const result = await opts.run(task, qm, abort.signal);
      tasks.inc({ topic, outcome: result === 'done' ? 'finished' : 'interrupted' });
      await (result === 'done' ? qm.finish() : qm.requeue(0));
    } catch (err) {
      tasks.inc({ topic, outcome: 'failed' });
      log.error('queue task failed, requeued', { topic, id: task.message.id, attempts: qm.attempts, err });
      await qm.requeue(ctx.config.taskRetryDelayMs);
    }
  }

  /** A failure to finish, requeue or dead-letter is only logged: the queue redelivers after the timeout. */
  async function guarded(qm: QueueMessage): Promise<void> {
    try {
      await one(qm);
    } catch (err) {
      log.error('queue task left to its timeout', { topic, queueId: qm.id, err });
    }
  }

  const consumer: Consumer = queue.consume(
    topic,
    CENTERS_CHANNEL,
    async (messages) => {
      const p = Promise.all(messages.map(guarded)).then(() => undefined);
      running.add(p);
      try {
        await p;
      } finally {
        running.delete(p);
      }
    },
    { maxInFlight: opts.maxInFlight, timeoutMs: opts.timeoutMs },
  );

  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        await consumer.stop();
        while (running.size) await Promise.all([...running]);
      })()),
  };
}
