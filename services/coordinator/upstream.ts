import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { App, AppStore } from '../../shared/contracts/apps';
import type { UpstreamRequest } from '../../shared/contracts/coordinator';
import type { RoomReply } from '../../shared/contracts/room';
import type { Logger } from '../../shared/log/log';
import { counter } from '../../shared/metrics/metrics';
import { ErrorCode } from '../../shared/protocol/codes';
import type { Consumer, Queue, QueueMessage } from '../../shared/queue/queue';
import type { CoordinatorConfig } from './config';
import type { Replier } from './replies';
import { retryDelay } from './retry';
import type { WebhookAnswer, WebhookClient } from './webhook';

/** Upstream retries go through this topic, shared by every coordinator on COORDINATORS_CHANNEL. */
export const UPSTREAM_TOPIC = 'herald.upstream';
export const COORDINATORS_CHANNEL = 'coordinators';

/** An upstream as queued for a retry, and (without roomId/connId/seq) as POSTed to the webhook. */
interface UpstreamJob {
  id: string;
  app: string;
  device: string;
  user?: string;
  type: string;
  /** base64 */
  payload: string;
  room: string;
  connId: string;
  seq: number;
  /** When the coordinator got it, ms since the Unix epoch. */
  time: number;
}

export interface UpstreamDeps {
  config: CoordinatorConfig;
  apps: AppStore;
  queue: Queue;
  webhooks: WebhookClient;
  replier: Replier;
  log: Logger;
  metrics: Registry;
}

export interface Upstream {
  handle(requests: UpstreamRequest[]): Promise<void>;
  start(): void;
  /** Stops the retry consumer and waits for the direct calls in progress. */
  stop(): Promise<void>;
}

const webhookBody = (j: UpstreamJob): string =>
  JSON.stringify({ id: j.id, app: j.app, device: j.device, user: j.user, type: j.type, payload: j.payload, room: j.room, time: j.time });

function routeOf(app: App | undefined, type: string): string | undefined {
  // hasOwn: a type named like an Object.prototype member must not find a function.
  return app?.routes && Object.hasOwn(app.routes, type) ? app.routes[type] : undefined;
}

function badRequest(r: UpstreamRequest): string | undefined {
  if (!r || typeof r !== 'object') return 'not an object';
  if (typeof r.app !== 'string' || typeof r.device !== 'string' || typeof r.type !== 'string') return 'app, device or type is not a string';
  if (typeof r.roomId !== 'string' || typeof r.connId !== 'string' || !Number.isInteger(r.seq)) return 'roomId, connId or seq missing';
  if (!(r.payload instanceof Uint8Array)) return 'payload is not bytes';
  return undefined;
}

/** Parses a 2xx answer into the Reply: `reply` (any JSON, sent as its JSON text) or `replyBase64`. */
export function replyFromAnswer(body: Buffer | undefined): { code: number; message: string; payload: Uint8Array } {
  const ok = (payload: Uint8Array = new Uint8Array(0)) => ({ code: ErrorCode.Ok, message: '', payload });
  const text = body?.toString('utf8').trim() ?? '';
  if (text === '') return ok();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return ok(); // A 2xx that is not JSON is a success without a reply payload.
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ok();
  const d = doc as Record<string, unknown>;
  if (d.replyBase64 !== undefined) {
    if (typeof d.replyBase64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(d.replyBase64) || d.replyBase64.length % 4 !== 0) {
      return { code: ErrorCode.UpstreamFailed, message: 'the webhook answered a replyBase64 that is not base64', payload: new Uint8Array(0) };
    }
    return ok(new Uint8Array(Buffer.from(d.replyBase64, 'base64')));
  }
  if (d.reply !== undefined) return ok(new Uint8Array(Buffer.from(JSON.stringify(d.reply), 'utf8')));
  return ok();
}

export function createUpstream(deps: UpstreamDeps): Upstream {
  const { config, apps, queue, webhooks, replier } = deps;
  const log = deps.log.child({ component: 'upstream' });
  const calls = counter(deps.metrics, 'herald_coordinator_upstream_total', 'Upstream webhook calls, by outcome', ['outcome']);
  const direct = new Set<Promise<void>>();
  let consumer: Consumer | undefined;

  const reply = (j: UpstreamJob, r: Omit<RoomReply, 'connId' | 'seq'>): void => replier.add(j.room, { connId: j.connId, seq: j.seq, ...r });
  const failed = (j: UpstreamJob, attempts: number, a: WebhookAnswer): void =>
    reply(j, { code: ErrorCode.UpstreamFailed, message: `the app's webhook for type "${j.type}" failed ${attempts} time(s); last: ${a.error ?? `HTTP ${a.status}`}` });

  function succeeded(j: UpstreamJob, a: WebhookAnswer): void {
    calls.inc({ outcome: 'ok' });
    reply(j, replyFromAnswer(a.body));
  }

  async function queueRetry(j: UpstreamJob, a: WebhookAnswer): Promise<void> {
    try {
      await queue.publishDeferred(UPSTREAM_TOPIC, Buffer.from(JSON.stringify(j)), Date.now() + retryDelay(config, 1));
    } catch (err) {
      log.error('could not queue an upstream retry, given up', { app: j.app, id: j.id, err });
      failed(j, 1, a);
    }
  }

  /** The first attempt, straight from the room's call (no queue round trip). */
  async function first(j: UpstreamJob, url: string, secret: string): Promise<void> {
    const a = await webhooks.post(url, secret, j.id, webhookBody(j));
    if (a.ok) return succeeded(j, a);
    calls.inc({ outcome: 'failed' });
    log.warn('upstream webhook failed', { app: j.app, type: j.type, id: j.id, attempt: 1, status: a.status, error: a.error });
    if (config.upstreamMaxAttempts <= 1) return failed(j, 1, a);
    await queueRetry(j, a);
  }

  function noRoute(j: UpstreamJob, why: string): void {
    calls.inc({ outcome: 'no_route' });
    reply(j, { code: ErrorCode.NoRoute, message: why });
  }

  async function handle(requests: UpstreamRequest[]): Promise<void> {
    const byApp = new Map<string, App | undefined>();
    for (const r of requests) if (r && typeof r.app === 'string' && !byApp.has(r.app)) byApp.set(r.app, await apps.get(r.app));
    const time = Date.now();
    for (const r of requests) {
      const bad = badRequest(r);
      if (bad) {
        calls.inc({ outcome: 'bad_request' });
        log.warn('bad upstream request, dropped', { why: bad });
        continue;
      }
      const id = randomBytes(12).toString('hex');
      const j: UpstreamJob = { id, app: r.app, device: r.device, user: r.user, type: r.type, payload: Buffer.from(r.payload).toString('base64'), room: r.roomId, connId: r.connId, seq: r.seq, time };
      const app = byApp.get(r.app);
      const url = routeOf(app, r.type);
      if (!app || !url) {
        noRoute(j, app ? `app ${r.app} has no route for type "${r.type}"` : `unknown app ${r.app}`);
        continue;
      }
      const p = first(j, url, app.secret).finally(() => direct.delete(p));
      direct.add(p);
    }
  }

  /** A retry from the queue: attempts so far are the direct one plus this delivery's count. */
  async function retry(qm: QueueMessage): Promise<void> {
    let j: UpstreamJob;
    try {
      j = JSON.parse(Buffer.from(qm.body).toString('utf8')) as UpstreamJob;
      if (typeof j?.id !== 'string' || typeof j.app !== 'string' || typeof j.type !== 'string') throw new Error('not an upstream job');
    } catch (err) {
      log.error('bad upstream retry in the queue, dropped', { queueId: qm.id, err });
      return qm.finish();
    }
    const app = await apps.get(j.app);
    const url = routeOf(app, j.type);
    if (!app || !url) {
      noRoute(j, `app ${j.app} has no route for type "${j.type}" any more`);
      return qm.finish();
    }
    const attempt = 1 + qm.attempts;
    await qm.touch();
    const a = await webhooks.post(url, app.secret, j.id, webhookBody(j));
    if (a.ok) {
      succeeded(j, a);
      return qm.finish();
    }
    calls.inc({ outcome: attempt >= config.upstreamMaxAttempts ? 'given_up' : 'failed' });
    log.warn('upstream webhook failed', { app: j.app, type: j.type, id: j.id, attempt, status: a.status, error: a.error });
    if (attempt < config.upstreamMaxAttempts) return qm.requeue(retryDelay(config, attempt));
    failed(j, attempt, a);
    return qm.finish();
  }

  async function guarded(qm: QueueMessage): Promise<void> {
    try {
      await retry(qm);
    } catch (err) {
      // Not finished nor requeued: the queue delivers it again after its timeout.
      log.error('upstream retry left to the queue timeout', { queueId: qm.id, err });
    }
  }

  return {
    handle,
    start() {
      consumer = queue.consume(UPSTREAM_TOPIC, COORDINATORS_CHANNEL, (batch) => Promise.all(batch.map(guarded)).then(() => undefined), {
        maxInFlight: config.maxConcurrentWebhooks,
        timeoutMs: config.webhookTimeoutMs * 2 + 10_000,
        // The coordinator gives up by itself at upstreamMaxAttempts; the slack covers crashed deliveries.
        maxAttempts: config.upstreamMaxAttempts + 5,
      });
    },
    async stop() {
      await consumer?.stop();
      consumer = undefined;
      while (direct.size) await Promise.all([...direct]);
    },
  };
}
