import type { Message } from '../../shared/contracts/saver';
import { HttpError, badRequest, notFound } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import { counter } from '../../shared/metrics/metrics';
import type { CenterContext } from './context';
import type { PushRunner } from './dispatch';
import { newMessageId } from './message-id';
import { type PushRequest, parsePushRequest } from './push-request';
import { MAX_MESSAGE_ID, schedulePush } from './schedule';

/**
 * The message of a push. A scheduled one is created at sendAt (its ttl counts from then), so
 * it runs as if it were posted at that time; its id still sorts by when it was posted.
 */
function buildMessage(app: string, req: PushRequest, now = Date.now()): Message {
  const created = req.sendAt ?? now;
  const message: Message = {
    id: newMessageId(now),
    app,
    kind: req.kind,
    payload: req.payload,
    created,
    // ttl 0 = online only: the saver keeps it for no one who is offline.
    expires: req.ttlSeconds === 0 ? 0 : created + req.ttlSeconds * 1000,
    qos: req.qos,
  };
  // A broadcast has no topic: its log is the app's ('').
  if ('topic' in req.to) message.topic = req.to.topic;
  return message;
}

/** POST /v1/apps/:app/messages and GET /v1/apps/:app/messages/:id. */
export function messageRoutes(ctx: CenterContext, runner: PushRunner): Route[] {
  const accepted = counter(ctx.metrics, 'herald_center_pushes_total', 'Pushes accepted (stored or queued), by kind', ['kind']);
  const targets = counter(ctx.metrics, 'herald_center_push_targets_total', 'Target devices of accepted pushes, by kind', ['kind']);
  const scheduled = counter(ctx.metrics, 'herald_center_scheduled_total', 'Pushes scheduled with sendAt, by kind', ['kind']);
  const { config } = ctx;

  return [
    {
      method: 'POST',
      path: '/v1/apps/:app/messages',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const req = parsePushRequest(r.body, config);
        const message = buildMessage(app.id, req);
        if (req.sendAt !== undefined) {
          await schedulePush(ctx, message, req.to, req.rate, req.sendAt);
          scheduled.inc({ kind: req.kind });
          return { status: 202, body: { id: message.id, sendAt: req.sendAt } };
        }
        const out = await runner.run(message, req.to, req.rate);
        accepted.inc({ kind: req.kind });
        if (out.targets !== undefined) targets.inc({ kind: req.kind }, out.targets);
        return { status: 202, body: { id: message.id, ...out } };
      },
    },
    {
      method: 'GET',
      path: '/v1/apps/:app/messages/:id',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const id = r.params.id;
        if (id.length > MAX_MESSAGE_ID) throw badRequest(`message id is longer than ${MAX_MESSAGE_ID} characters`, 'bad_id');
        let status;
        try {
          status = await ctx.saver.status(app.id, id);
        } catch (err) {
          throw new HttpError(503, 'unavailable', `could not read the message status: ${(err as Error)?.message ?? String(err)}`);
        }
        if (!status) throw notFound(`no message ${id} in app ${app.id}`, 'unknown_message');
        return { body: status };
      },
    },
  ];
}
