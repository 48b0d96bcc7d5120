import type { Registry } from 'prom-client';
import type { AppStore } from '../../shared/contracts/apps';
import type { CoordinatorService } from '../../shared/contracts/coordinator';
import type { RegisterService } from '../../shared/contracts/register';
import type { RoomDirectory } from '../../shared/contracts/room';
import { once, withTimeout, type Service } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import { gauge } from '../../shared/metrics/metrics';
import type { Queue } from '../../shared/queue/queue';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import type { CoordinatorConfig } from './config';
import { createRecovery } from './recovery';
import { createReplier } from './replies';
import { createSingleLogin } from './single-login';
import { createStatusCallbacks } from './status-callbacks';
import { createUpstream } from './upstream';
import { createWebhookClient } from './webhook';

export interface CoordinatorDeps {
  apps: AppStore;
  register: RegisterService;
  /** Rooms reachable from here: replies, kicks and reflushes go through it. */
  rooms: RoomDirectory;
  /** The live rooms (for register recovery). */
  registry: RoomRegistry;
  /** Upstream and status retries (topics herald.upstream / herald.status, channel 'coordinators'). */
  queue: Queue;
  log: Logger;
  metrics: Registry;
}

export interface Coordinator extends CoordinatorService, Service {
  running(): boolean;
}

/**
 * The coordinator: upstream webhooks (signed, retried through the queue), online/offline status
 * callbacks, single login and register recovery. Calls are accepted until stop(); stop() sends
 * what is buffered, waits for calls in progress up to shutdownTimeoutMs, then aborts the rest.
 */
export function createCoordinator(config: CoordinatorConfig, deps: CoordinatorDeps): Coordinator {
  const up = gauge(deps.metrics, 'herald_coordinator_up', 'coordinator running (1) or stopped (0)');
  const log = deps.log.child({ service: 'coordinator' });
  const webhooks = createWebhookClient({ timeoutMs: config.webhookTimeoutMs, maxConcurrent: config.maxConcurrentWebhooks, maxAnswerBytes: config.maxReplyBytes });
  const replier = createReplier(deps.rooms, log, deps.metrics);
  const shared = { config, apps: deps.apps, queue: deps.queue, webhooks, log, metrics: deps.metrics };
  const upstream = createUpstream({ ...shared, replier });
  const status = createStatusCallbacks(shared);
  const singleLogin = createSingleLogin({ apps: deps.apps, rooms: deps.rooms, log, metrics: deps.metrics });
  const recovery = createRecovery(config.recoveryPollMs, { register: deps.register, rooms: deps.rooms, registry: deps.registry, log, metrics: deps.metrics });
  let running = false;

  const stop = once(async () => {
    running = false;
    up.set(0);
    try {
      await withTimeout('coordinator stop', config.shutdownTimeoutMs, async () => {
        await recovery.stop();
        await Promise.all([upstream.stop(), status.stop()]);
        await replier.flush();
      });
    } catch (err) {
      log.warn('coordinator stopped with webhook calls in progress; they are aborted', { inFlight: webhooks.inFlight(), err });
    } finally {
      webhooks.close();
    }
  });

  return {
    async start() {
      upstream.start();
      status.start();
      recovery.start();
      running = true;
      up.set(1);
      log.info('coordinator started');
    },
    stop,
    running: () => running,
    upstream: (requests) => upstream.handle(requests),
    status: (events) => status.add(events),
    replaced: (pairs) => singleLogin(pairs),
  };
}
