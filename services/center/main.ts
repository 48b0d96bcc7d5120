import { createAppStore } from '../../shared/apps/app-store';
import { loadAppsFile } from '../../shared/apps/apps-file';
import { loadConfig } from '../../shared/config/config';
import type { AppStore } from '../../shared/contracts/apps';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger, type Logger } from '../../shared/log/log';
import { createRegistry, type Registry } from '../../shared/metrics/metrics';
import { createQueue } from '../../shared/queue/create-queue';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import { createRoomRegistry } from '../../shared/room-registry/create-room-registry';
import { createRemoteRoomDirectory } from '../../shared/room-registry/remote-room-directory';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { createRegisterClient } from '../register/rpc/register-rpc-client';
import { saverSchema } from '../saver/config';
import { createSaverClient } from '../saver/rpc/saver-rpc-client';
import { createSaver } from '../saver/saver';
import { ensureDemoApp } from '../standalone/demo-app';
import { createCenter, type Center, type CenterDeps } from './center';
import { centerSchema, type CenterConfig } from './config';

/** The center's peers, and how to start and close them around the center. */
interface Wiring {
  deps: Omit<CenterDeps, 'apps' | 'log' | 'metrics'>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * driver 'cluster': register and saver over RPC (configured addresses), the rooms over RPC as
 * they announce themselves in the Redis room registry, the queue in Redis shared with every
 * other center and room.
 */
function clusterWiring(config: CenterConfig, log: Logger): Wiring {
  const rpc = { deadlineMs: config.rpcDeadlineMs };
  const register = createRegisterClient({ addresses: config.registerAddresses, ...rpc }, log);
  const saver = createSaverClient({ addresses: config.saverAddresses, ...rpc }, log);
  const redis = { driver: 'redis' as const, redisUrl: config.redisUrl, prefix: config.prefix, log };
  const registry = createRoomRegistry(redis);
  const queue = createQueue(redis);
  const rooms = createRemoteRoomDirectory(registry, { deadlineMs: config.rpcDeadlineMs }, log);
  return {
    deps: { register, saver, registry, queue, rooms },
    start: async () => undefined,
    async close() {
      rooms.close();
      register.close();
      saver.close();
      await Promise.all([queue.close(), registry.close()]);
    },
  };
}

/**
 * driver 'memory': the center alone, with in-process stand-ins: pushes are stored in an
 * in-memory saver, work is queued on an in-memory queue and no room gets anything.
 */
function memoryWiring(log: Logger, metrics: Registry): Wiring {
  const register = createMemorySessionStore();
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory' }), { log, metrics });
  const queue = createMemoryQueue({ log });
  const registry = createMemoryRoomRegistry();
  return {
    deps: { register, saver, queue, registry, rooms: { room: () => undefined } },
    start: () => saver.start(),
    async close() {
      await Promise.all([saver.stop(), register.close(), queue.close(), registry.close()]);
    },
  };
}

function wiring(config: CenterConfig, log: Logger, metrics: Registry): Wiring {
  switch (config.driver) {
    case 'cluster':
      return clusterWiring(config, log);
    case 'memory':
      return memoryWiring(log, metrics);
    default:
      throw new Error(`center.driver: unknown driver ${JSON.stringify(config.driver)}`);
  }
}

async function openApps(config: CenterConfig, log: Logger): Promise<AppStore> {
  const apps = await createAppStore({
    driver: config.appsDriver,
    apps: config.appsFile ? loadAppsFile(config.appsFile) : [],
    mysqlUrl: config.mysqlUrl,
    log,
  });
  if (config.demoApp && (await ensureDemoApp(apps))) log.info('created the demo app', { app: 'demo' });
  return apps;
}

const log = createLogger({ service: 'center' });
runMain('center', log, async (): Promise<Service> => {
  const config = loadConfig('center', centerSchema);
  const metrics = createRegistry(true);
  const peers = wiring(config, log, metrics);
  let apps: AppStore | undefined;
  let center: Center | undefined;
  return {
    async start() {
      apps = await openApps(config, log);
      await peers.start();
      center = createCenter(config, { ...peers.deps, apps, log, metrics });
      await center.start();
      log.info('center ready', { driver: config.driver, url: center.url() });
    },
    stop: once(async () => {
      await center?.stop();
      await peers.close();
      await apps?.close();
    }),
  };
});
