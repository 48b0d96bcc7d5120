import type { DeviceKey } from '../../shared/contracts/register';
import type { Delivery, LogAck, Message, SaverService } from '../../shared/contracts/saver';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import { counter, histogram, type Registry } from '../../shared/metrics/metrics';
import type { SaverConfig } from './config';
import { createMemorySaverStore } from './store/memory-saver-store';
import { createRedisSaverStore } from './store/redis-saver-store';
import type { SaverStore } from './store/saver-store';
import { checkApp, checkAppId, checkDeliveries, checkDevice, checkLogAcks, checkLogCounts, checkLogMessage, checkLogSince, checkMessage, checkSendAt, checkTargets } from './validate';

export interface SaverDeps {
  log: Logger;
  metrics: Registry;
}

function createStore(config: SaverConfig, deps: SaverDeps): SaverStore {
  const driver: string = config.driver;
  switch (config.driver) {
    case 'memory':
      return createMemorySaverStore(config);
    case 'redis':
      return createRedisSaverStore(config, deps.log);
    default:
      throw new Error(`saver.driver: unknown driver ${JSON.stringify(driver)} (expected 'memory' or 'redis')`);
  }
}

/**
 * The saver service: validates input, times and counts every call, runs the expired-entry
 * cleanup, and delegates storage to the configured driver.
 */
export function createSaver(config: SaverConfig, deps: SaverDeps): SaverService & Service {
  const log = deps.log.child({ service: 'saver' });
  const store = createStore(config, { ...deps, log });
  const latency = histogram(deps.metrics, 'herald_saver_op_seconds', 'Saver call latency', ['op']);
  const failures = counter(deps.metrics, 'herald_saver_errors_total', 'Saver calls that failed', ['op']);
  const stored = counter(deps.metrics, 'herald_saver_stored_total', 'Messages stored', ['qos']);
  const acked = counter(deps.metrics, 'herald_saver_acked_total', 'Inbox entries acked');
  const refused = counter(deps.metrics, 'herald_saver_attempts_refused_total', 'Delivery attempts answered false');
  const cleaned = counter(deps.metrics, 'herald_saver_cleaned_total', 'Expired inbox entries removed');
  let timer: NodeJS.Timeout | undefined;
  let cleaning = false;

  async function timed<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const end = latency.startTimer({ op });
    try {
      return await fn();
    } catch (err) {
      failures.inc({ op });
      throw err;
    } finally {
      end();
    }
  }

  async function cleanupPass(): Promise<void> {
    if (cleaning) return;
    cleaning = true;
    try {
      const n = await store.cleanup(Date.now(), config.cleanupBatch);
      if (n > 0) cleaned.inc(n);
    } catch (err) {
      failures.inc({ op: 'cleanup' });
      log.warn('saver cleanup failed', { err });
    } finally {
      cleaning = false;
    }
  }

  const start = async (): Promise<void> => {
    await store.start();
    if (config.cleanupIntervalMs > 0) {
      timer = setInterval(() => void cleanupPass(), config.cleanupIntervalMs);
      timer.unref();
    }
    log.info('saver started', { driver: config.driver });
  };

  const stop = once(async () => {
    if (timer) clearInterval(timer);
    await store.close();
    log.info('saver stopped');
  });

  return {
    start,
    stop,
    store: (message: Message, targets: DeviceKey[]) =>
      timed('store', async () => {
        checkMessage(message);
        checkTargets(message.app, targets);
        await store.store(message, targets);
        stored.inc({ qos: String(message.qos) });
      }),
    pending: (app: string, device: string, limit?: number) =>
      timed('pending', async () => {
        checkDevice(app, device, limit);
        return store.pending(app, device, limit ?? config.pendingLimit);
      }),
    attempt: (deliveries: Delivery[]) =>
      timed('attempt', async () => {
        checkDeliveries('deliveries', deliveries);
        if (deliveries.length === 0) return [];
        const answers = await store.attempt(deliveries);
        const no = answers.filter((a) => !a).length;
        if (no > 0) refused.inc(no);
        return answers;
      }),
    ack: (acks: Delivery[]) =>
      timed('ack', async () => {
        checkDeliveries('acks', acks);
        if (acks.length === 0) return 0;
        const n = await store.ack(acks);
        if (n > 0) acked.inc(n);
        return n;
      }),
    status: (app: string, id: string) =>
      timed('status', async () => {
        checkAppId(app, id);
        return store.status(app, id);
      }),
    deadLetters: (app: string, limit = 100) =>
      timed('deadLetters', async () => {
        checkApp(app, limit);
        return store.deadLetters(app, limit);
      }),
    appendLog: (message: Message) =>
      timed('appendLog', async () => {
        checkLogMessage(message);
        const seq = await store.appendLog(message);
        stored.inc({ qos: String(message.qos) });
        return seq;
      }),
    logSince: (app: string, device: string, logs: string[], limit?: number) =>
      timed('logSince', async () => {
        checkLogSince(app, device, logs, limit);
        if (logs.length === 0) return [];
        return store.logSince(app, device, logs, limit ?? config.pendingLimit);
      }),
    ackLog: (acks: LogAck[]) =>
      timed('ackLog', async () => {
        checkLogAcks(acks);
        if (acks.length > 0) await store.ackLog(acks);
      }),
    countLogDelivered: (counts: { app: string; id: string; delivered: number }[]) =>
      timed('countLogDelivered', async () => {
        checkLogCounts(counts);
        const nonZero = counts.filter((c) => c.delivered > 0);
        if (nonZero.length > 0) await store.countLogDelivered(nonZero);
      }),
    markScheduled: (message: Message, sendAt: number) =>
      timed('markScheduled', async () => {
        checkMessage(message);
        checkSendAt(sendAt);
        await store.markScheduled(message, sendAt);
      }),
    markCancelled: (app: string, id: string) =>
      timed('markCancelled', async () => {
        checkAppId(app, id);
        return store.markCancelled(app, id);
      }),
  };
}
