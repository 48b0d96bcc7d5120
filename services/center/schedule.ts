import type { Message } from '../../shared/contracts/saver';
import { type DeferredPush, type PushTarget, QueueTopics, encodeTask } from '../../shared/contracts/tasks';
import { HttpError, badRequest, notFound } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import type { CenterContext } from './context';
import { type PushRunner, createGuard } from './dispatch';
import { MAX_RATE } from './push-request';
import { checkTaskTarget } from './push-target';
import { type Worker, startWorker } from './worker';

/** Longest message id the saver keeps (ours are 32). */
export const MAX_MESSAGE_ID = 64;

/** Records a sendAt push as 'scheduled' and queues it to fire at sendAt, under the message id. */
export async function schedulePush(ctx: CenterContext, message: Message, to: PushTarget, rate: number, sendAt: number): Promise<void> {
  const guard = createGuard(ctx);
  const fields = { app: message.app, id: message.id };
  await guard('saver', 'could not record the scheduled push', 'schedule failed', () => ctx.saver.markScheduled(message, sendAt), fields);
  const body = encodeTask<DeferredPush>({ message, to, rate });
  try {
    await ctx.queue.publishDeferred(QueueTopics.scheduled, body, sendAt, message.id);
  } catch (err) {
    // Not queued: it will never fire, so its status must not stay 'scheduled'.
    await ctx.saver.markCancelled(message.app, message.id).catch((e: unknown) => ctx.log.error('could not cancel an unqueued scheduled push', { ...fields, err: e }));
    return guard('queue', 'could not queue the scheduled push, it will not be sent', 'schedule failed', () => Promise.reject(err), fields);
  }
}

/** DELETE /v1/apps/:app/messages/:id: cancels a scheduled push that has not fired. */
export function scheduleRoutes(ctx: CenterContext): Route[] {
  const guard = createGuard(ctx);
  return [
    {
      method: 'DELETE',
      path: '/v1/apps/:app/messages/:id',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const id = r.params.id;
        if (id.length > MAX_MESSAGE_ID) throw badRequest(`message id is longer than ${MAX_MESSAGE_ID} characters`, 'bad_id');
        const fields = { app: app.id, id };
        const status = await guard('cancel', 'could not read the message status', 'cancel failed', () => ctx.saver.status(app.id, id), fields);
        if (!status) throw notFound(`no message ${id} in app ${app.id}`, 'unknown_message');
        if (status.state === 'cancelled') return { body: { id, state: 'cancelled' } };
        const notCancellable = new HttpError(409, 'not_cancellable', `message ${id} is ${status.state === 'scheduled' ? 'being sent' : status.state === 'pending' || status.state === 'done' ? 'already sent' : status.state}: only a scheduled push that has not fired can be cancelled`);
        if (status.state !== 'scheduled') throw notCancellable;
        // The status lookup above keeps an app from cancelling another app's push by id.
        const removed = await guard('cancel', 'could not cancel the scheduled push', 'cancel failed', () => ctx.queue.cancelDeferred(QueueTopics.scheduled, id), fields);
        if (!removed) throw notCancellable;
        await guard('cancel', 'the push will not fire, but its status could not be updated', 'cancel failed', () => ctx.saver.markCancelled(app.id, id), fields);
        ctx.log.info('scheduled push cancelled', fields);
        return { body: { id, state: 'cancelled' } };
      },
    },
  ];
}

function checkDeferred(t: DeferredPush): string | undefined {
  const bad = checkTaskTarget(t.to);
  if (bad) return bad;
  if (typeof t.rate !== 'number' || !Number.isInteger(t.rate) || t.rate < 0 || t.rate > MAX_RATE) return 'rate must be 0..100000';
  return undefined;
}

/**
 * The scheduled consumer: at sendAt, runs the push as if it were posted now (same code path,
 * without sendAt). A push cancelled meanwhile is dropped; a failed run is retried after the delay.
 */
export function startScheduledWorker(ctx: CenterContext, runner: PushRunner): Worker {
  return startWorker<DeferredPush>(ctx, {
    topic: QueueTopics.scheduled,
    maxInFlight: ctx.config.taskMaxInFlight,
    timeoutMs: ctx.config.taskTimeoutMs,
    check: checkDeferred,
    async run(task) {
      const { message } = task;
      const status = await ctx.saver.status(message.app, message.id);
      if (status?.state === 'cancelled') {
        ctx.log.info('scheduled push was cancelled, dropped', { app: message.app, id: message.id });
        return 'done';
      }
      const out = await runner.run(message, task.to, task.rate);
      ctx.log.info('scheduled push fired', { app: message.app, id: message.id, targets: out.targets });
      return 'done';
    },
  });
}
