import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { AppStore } from '../../shared/contracts/apps';
import type { StatusEvent } from '../../shared/contracts/coordinator';
import type { Logger } from '../../shared/log/log';
import { counter } from '../../shared/metrics/metrics';
import type { Consumer, Queue, QueueMessage } from '../../shared/queue/queue';
import type { CoordinatorConfig } from './config';
import { retryDelay } from './retry';
import { COORDINATORS_CHANNEL } from './upstream';
import type { WebhookClient } from './webhook';

/** Status callbacks that failed wait here for a retry, shared by every coordinator. */
export const STATUS_TOPIC = 'herald.status';

/** One event as the app's status URL gets it. */
export interface StatusCallbackEvent {
  device: string;
  user?: string;
  room: string;
  online: boolean;
  /** ms since the Unix epoch */
  time: number;
  reason: string;
}

/** A POST body {app, events}, and with its id the queued retry. */
interface StatusBatch {
  id: string;
  app: string;
  events: StatusCallbackEvent[];
}

export interface StatusDeps {
  config: CoordinatorConfig;
  apps: AppStore;
  queue: Queue;
  webhooks: WebhookClient;
  log: Logger;
  metrics: Registry;
}

export interface StatusCallbacks {
  add(events: StatusEvent[]): Promise<void>;
  start(): void;
  /** Sends what is buffered (failures go to the queue), stops the retry consumer. */
  stop(): Promise<void>;
}

const wire = (e: StatusEvent): StatusCallbackEvent => ({ device: e.device, user: e.user, room: e.roomId, online: e.online, time: e.time, reason: e.reason });
const isEvent = (e: StatusEvent): boolean =>
  !!e && typeof e.app === 'string' && typeof e.device === 'string' && typeof e.roomId === 'string' && typeof e.online === 'boolean' && Number.isFinite(e.time);

/**
 * Online/offline callbacks: events of apps with a statusUrl are buffered per app and POSTed as
 * {app, events} (signed like upstream webhooks) every statusFlushMs or at statusBatchSize.
 */
export function createStatusCallbacks(deps: StatusDeps): StatusCallbacks {
  const { config, apps, queue, webhooks } = deps;
  const log = deps.log.child({ component: 'status-callbacks' });
  const events = counter(deps.metrics, 'herald_coordinator_status_events_total', 'Status events, by outcome', ['outcome']);
  const buffers = new Map<string, StatusCallbackEvent[]>();
  const sending = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let consumer: Consumer | undefined;

  async function post(b: StatusBatch): Promise<{ ok: boolean; why: string }> {
    const app = await apps.get(b.app);
    if (!app?.statusUrl) return { ok: true, why: 'no status URL any more' };
    const a = await webhooks.post(app.statusUrl, app.secret, b.id, JSON.stringify({ app: b.app, events: b.events }));
    return { ok: a.ok, why: a.error ?? `HTTP ${a.status}` };
  }

  async function sendFirst(b: StatusBatch): Promise<void> {
    const r = await post(b);
    if (r.ok) return void events.inc({ outcome: 'sent' }, b.events.length);
    log.warn('status callback failed', { app: b.app, id: b.id, events: b.events.length, attempt: 1, error: r.why });
    if (config.statusMaxAttempts <= 1) return dropped(b, 1, r.why);
    try {
      await queue.publishDeferred(STATUS_TOPIC, Buffer.from(JSON.stringify(b)), Date.now() + retryDelay(config, 1));
    } catch (err) {
      log.error('could not queue a status callback retry', { app: b.app, id: b.id, err });
      dropped(b, 1, r.why);
    }
  }

  function dropped(b: StatusBatch, attempts: number, why: string): void {
    events.inc({ outcome: 'dropped' }, b.events.length);
    log.error('status callback given up, events dropped', { app: b.app, id: b.id, events: b.events.length, attempts, error: why });
  }

  function send(app: string, batch: StatusCallbackEvent[]): void {
    const p = sendFirst({ id: randomBytes(12).toString('hex'), app, events: batch })
      .catch((err: unknown) => log.error('status callback failed', { app, err }))
      .finally(() => sending.delete(p));
    sending.add(p);
  }

  function flushAll(): void {
    for (const [app, buf] of buffers) if (buf.length) send(app, buf);
    buffers.clear();
  }

  async function add(list: StatusEvent[]): Promise<void> {
    const byApp = new Map<string, StatusEvent[]>();
    for (const e of list) {
      if (!isEvent(e)) {
        events.inc({ outcome: 'bad' });
        continue;
      }
      const l = byApp.get(e.app);
      if (l) l.push(e);
      else byApp.set(e.app, [e]);
    }
    for (const [id, evs] of byApp) {
      if (!(await apps.get(id))?.statusUrl) continue;
      let buf = buffers.get(id);
      if (!buf) buffers.set(id, (buf = []));
      for (const e of evs) buf.push(wire(e));
      while (buf.length >= config.statusBatchSize) send(id, buf.splice(0, config.statusBatchSize));
    }
  }

  async function retry(qm: QueueMessage): Promise<void> {
    let b: StatusBatch;
    try {
      b = JSON.parse(Buffer.from(qm.body).toString('utf8')) as StatusBatch;
      if (typeof b?.id !== 'string' || typeof b.app !== 'string' || !Array.isArray(b.events)) throw new Error('not a status batch');
    } catch (err) {
      log.error('bad status retry in the queue, dropped', { queueId: qm.id, err });
      return qm.finish();
    }
    await qm.touch();
    const r = await post(b);
    const attempt = 1 + qm.attempts;
    if (r.ok) events.inc({ outcome: 'sent' }, b.events.length);
    else if (attempt < config.statusMaxAttempts) {
      log.warn('status callback failed', { app: b.app, id: b.id, attempt, error: r.why });
      return qm.requeue(retryDelay(config, attempt));
    } else dropped(b, attempt, r.why);
    return qm.finish();
  }

  async function guarded(qm: QueueMessage): Promise<void> {
    try {
      await retry(qm);
    } catch (err) {
      log.error('status retry left to the queue timeout', { queueId: qm.id, err });
    }
  }

  return {
    add,
    start() {
      timer = setInterval(flushAll, config.statusFlushMs);
      timer.unref();
      consumer = queue.consume(STATUS_TOPIC, COORDINATORS_CHANNEL, (batch) => Promise.all(batch.map(guarded)).then(() => undefined), {
        maxInFlight: Math.max(1, Math.floor(config.maxConcurrentWebhooks / 4)),
        timeoutMs: config.webhookTimeoutMs * 2 + 10_000,
        maxAttempts: config.statusMaxAttempts + 5,
      });
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      flushAll();
      await consumer?.stop();
      consumer = undefined;
      while (sending.size) await Promise.all([...sending]);
    },
  };
}
