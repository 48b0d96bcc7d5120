import type { DeviceKey } from '../../shared/contracts/register';
import type { Message } from '../../shared/contracts/saver';
import { HttpError, badRequest, notFound } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import { counter } from '../../shared/metrics/metrics';
import type { CenterContext } from './context';
import { newMessageId } from './message-id';
import { type PushRequest, parsePushRequest } from './push-request';

/** Longest message id the saver keeps (ours are 32). */
const MAX_MESSAGE_ID = 64;

/** A dependency failed: answer 503 and say what could not be done. */
function unavailable(what: string, err: unknown): HttpError {
  return new HttpError(503, 'unavailable', `${what}: ${(err as Error)?.message ?? String(err)}`);
}

async function resolveDevices(ctx: CenterContext, app: string, req: PushRequest): Promise<string[]> {
  if (req.kind === 'unicast') return req.ids;
  try {
    const pairs = await ctx.register.userDevices(app, req.ids);
    return [...new Set(pairs.map((p) => p.device))];
  } catch (err) {
    ctx.log.error('user lookup failed', { app, users: req.ids.length, err });
    throw unavailable('could not resolve the users\' devices, nothing was stored or sent', err);
  }
}

function buildMessage(app: string, req: PushRequest): Message {
  const created = Date.now();
  return {
    id: newMessageId(created),
    app,
    kind: req.kind,
    payload: req.payload,
    created,
    // ttl 0 = online only: the saver keeps it for no one who is offline.
    expires: req.ttlSeconds === 0 ? 0 : created + req.ttlSeconds * 1000,
    qos: req.qos,
  };
}

/** POST /v1/apps/:app/messages and GET /v1/apps/:app/messages/:id. */
export function messageRoutes(ctx: CenterContext): Route[] {
  const accepted = counter(ctx.metrics, 'herald_center_pushes_total', 'Pushes accepted (stored), by kind', ['kind']);
  const targets = counter(ctx.metrics, 'herald_center_push_targets_total', 'Target devices of accepted pushes, by kind', ['kind']);
  const failed = counter(ctx.metrics, 'herald_center_push_errors_total', 'Pushes refused because a dependency failed', ['stage']);
  const { config } = ctx;

  return [
    {
      method: 'POST',
      path: '/v1/apps/:app/messages',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const req = parsePushRequest(r.body, config);
        let devices: string[];
        try {
          devices = await resolveDevices(ctx, app.id, req);
        } catch (err) {
          failed.inc({ stage: 'register' });
          throw err;
        }
        const message = buildMessage(app.id, req);
        const keys: DeviceKey[] = devices.map((device) => ({ app: app.id, device }));
        try {
          await ctx.saver.store(message, keys);
        } catch (err) {
          failed.inc({ stage: 'saver' });
          ctx.log.error('store failed', { app: app.id, id: message.id, targets: keys.length, err });
          throw unavailable('could not store the message, nothing was sent', err);
        }
        accepted.inc({ kind: req.kind });
        targets.inc({ kind: req.kind }, keys.length);
        if (devices.length) ctx.sender.send(message, devices);
        return { status: 202, body: { id: message.id, targets: keys.length } };
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
          throw unavailable('could not read the message status', err);
        }
        if (!status) throw notFound(`no message ${id} in app ${app.id}`, 'unknown_message');
        return { body: status };
      },
    },
  ];
}
