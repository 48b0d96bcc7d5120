import { ConfigError } from '../../shared/config/config';
import { createHttpServer } from '../../shared/http/http-server';
import { type Service, once, withTimeout } from '../../shared/lifecycle/lifecycle';
import { adminRoutes } from './admin';
import { adminClusterRoutes } from './admin-cluster';
import { createAuth } from './auth';
import type { CenterConfig } from './config';
import type { CenterContext, CenterDeps } from './context';
import { deviceRoutes } from './devices';
import { createPushRunner } from './dispatch';
import { kickRoutes } from './kick';
import { messageRoutes } from './messages';
import { startMulticastWorker } from './multicast';
import { startPacedWorker } from './pacing';
import { createSender } from './push';
import { MAX_ID_LENGTH } from './push-request';
import { scheduleRoutes, startScheduledWorker } from './schedule';
import { tokenRoutes } from './tokens';
import type { Worker } from './worker';

export type { CenterDeps } from './context';

/** The center: the public HTTP API. */
export interface Center extends Service {
  /** The port it listens on (the real one once started with port 0). */
  port(): number;
  url(): string;
}

/** How long stop() waits for background sends to finish. */
const DRAIN_MS = 5_000;

function checkConfig(config: CenterConfig): void {
  if (config.defaultTtlSeconds > config.maxTtlSeconds) {
    throw new ConfigError(`center.defaultTtlSeconds: must not be more than center.maxTtlSeconds (${config.maxTtlSeconds})`);
  }
}

/** Room for the largest valid push request: the payload as base64 or escaped JSON, plus every target id. */
function maxBody(config: CenterConfig): number {
  return 64 * 1024 + config.maxPayloadBytes * 6 + config.maxTargets * (MAX_ID_LENGTH * 2 + 4);
}

/**
 * Creates the center. start() listens and starts the queue consumers (multicast slices,
 * scheduled and paced pushes, shared with every other center on the 'centers' channel);
 * stop() stops the consumers first, then the listener, then waits for sends in progress.
 */
export function createCenter(config: CenterConfig, deps: CenterDeps): Center {
  checkConfig(config);
  const log = deps.log.child({ service: 'center' });
  const ctx: CenterContext = {
    ...deps,
    log,
    config,
    auth: createAuth(deps.apps, config.adminToken),
    sender: createSender({ ...deps, log, lookupBatch: config.lookupBatch }),
  };
  const runner = createPushRunner(ctx);
  let running = false;
  const http = createHttpServer({
    name: 'center',
    host: config.host,
    port: config.port,
    log,
    metrics: deps.metrics,
    maxBody: maxBody(config),
    ready: () => running,
    routes: [...messageRoutes(ctx, runner), ...scheduleRoutes(ctx), ...deviceRoutes(ctx), ...tokenRoutes(ctx), ...adminRoutes(ctx), ...kickRoutes(ctx), ...adminClusterRoutes(ctx)],
  });
  let port = config.port;
  let workers: Worker[] = [];

  const stop = once(async () => {
    running = false;
    const stopping = workers;
    workers = [];
    await Promise.all(stopping.map((w) => w.stop()));
    await http.stop();
    try {
      await withTimeout('center: finishing sends', DRAIN_MS, () => ctx.sender.drain());
    } catch (err) {
      log.warn('stopped with sends in progress', { inFlight: ctx.sender.inFlight(), err });
    }
  });

  return {
    async start() {
      port = await http.start();
      workers = [startMulticastWorker(ctx), startScheduledWorker(ctx, runner), startPacedWorker(ctx)];
      running = true;
    },
    stop,
    port: () => port,
    url: () => http.url(),
  };
}
