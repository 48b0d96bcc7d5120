import type { RegisterService } from '../../shared/contracts/register';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import { counter, histogram, type Registry } from '../../shared/metrics/metrics';
import type { RegisterConfig } from './config';
import { createSessionStore, type ManagedSessionStore } from './store/session-store';

export interface RegisterDeps {
  log: Logger;
  metrics: Registry;
}

type Op = keyof RegisterService;

/**
 * The register service: the global session store behind metrics. start() opens the store and
 * waits until it answers (throws if it does not within startTimeoutMs); stop() closes it and is
 * safe to call twice. Calls before start() or after stop() reject.
 */
export function createRegister(config: RegisterConfig, deps: RegisterDeps): RegisterService & Service {
  const log = deps.log.child({ service: 'register' });
  const ops = counter(deps.metrics, 'herald_register_ops_total', 'Register calls by operation and result', ['op', 'result']);
  const items = counter(deps.metrics, 'herald_register_items_total', 'Sessions, refs, devices, users, tags or topics passed to register calls', ['op']);
  const seconds = histogram(deps.metrics, 'herald_register_op_seconds', 'Register call latency', ['op']);
  const replacedCount = counter(deps.metrics, 'herald_register_replaced_total', 'Live sessions that a register call replaced (same device, another connection)');
  const epochChanges = counter(deps.metrics, 'herald_register_epoch_changes_total', 'Times the store answered a new epoch (its data was lost)');
  let store: ManagedSessionStore | undefined;
  let stopped = false;
  let lastEpoch: string | undefined;

  function active(): ManagedSessionStore {
    if (!store || stopped) throw new Error('register is not running');
    return store;
  }

  async function measure<T>(op: Op, count: number, fn: (s: ManagedSessionStore) => Promise<T>): Promise<T> {
    const end = seconds.startTimer({ op });
    try {
      const out = await fn(active());
      ops.inc({ op, result: 'ok' });
      items.inc({ op }, count);
      return out;
    } catch (err) {
      ops.inc({ op, result: 'error' });
      throw err;
    } finally {
      end();
    }
  }

  const size = (list: unknown): number => (Array.isArray(list) ? list.length : 0);

  function noteEpoch(epoch: string): string {
    if (lastEpoch !== undefined && epoch !== lastEpoch) {
      epochChanges.inc();
      log.warn('register: the session store lost its data (new epoch); rooms must re-flush', { was: lastEpoch, now: epoch });
    }
    lastEpoch = epoch;
    return epoch;
  }

  return {
    register: async (sessions) => {
      const replaced = await measure('register', size(sessions), (s) => s.register(sessions));
      if (replaced.length > 0) replacedCount.inc(replaced.length);
      return replaced;
    },
    unregister: (refs) => measure('unregister', size(refs), (s) => s.unregister(refs)),
    touch: (refs) => measure('touch', size(refs), (s) => s.touch(refs)),
    lookupDevices: (app, devices) => measure('lookupDevices', size(devices), (s) => s.lookupDevices(app, devices)),
    userDevices: (app, users) => measure('userDevices', size(users), (s) => s.userDevices(app, users)),
    listRoom: (roomId) => measure('listRoom', 1, (s) => s.listRoom(roomId)),
    epoch: () => measure('epoch', 1, (s) => s.epoch()).then(noteEpoch),
    setTags: (app, device, tags) => measure('setTags', size(tags), (s) => s.setTags(app, device, tags)),
    tagsOf: (app, device) => measure('tagsOf', 1, (s) => s.tagsOf(app, device)),
    devicesByTags: (app, tags, mode, cursor, count) =>
      measure('devicesByTags', size(tags), (s) => s.devicesByTags(app, tags, mode, cursor, count)),
    subscribe: (app, device, topics) => measure('subscribe', size(topics), (s) => s.subscribe(app, device, topics)),
    unsubscribe: (app, device, topics) => measure('unsubscribe', size(topics), (s) => s.unsubscribe(app, device, topics)),
    subscriptions: (app, device) => measure('subscriptions', 1, (s) => s.subscriptions(app, device)),
    subscribers: (app, topic, cursor, count) => measure('subscribers', 1, (s) => s.subscribers(app, topic, cursor, count)),
    async start() {
      if (store) throw new Error('register already started');
      if (stopped) throw new Error('register was stopped');
      const s = createSessionStore({ ...config, log });
      store = s;
      try {
        await s.ready(config.startTimeoutMs);
        // Made now, so that data lost from here on shows as a change of epoch.
        lastEpoch = await s.epoch();
      } catch (err) {
        store = undefined;
        await s.close();
        throw new Error(`register: the ${config.driver} session store did not answer: ${(err as Error).message}`, { cause: err });
      }
      log.info('register started', { driver: config.driver });
    },
    stop: once(async () => {
      stopped = true;
      const s = store;
      store = undefined;
      if (!s) return;
      await s.close();
      log.info('register stopped');
    }),
  };
}
