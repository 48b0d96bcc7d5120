import { createAppStore } from '../../../shared/apps/app-store';
import { createHttpServer } from '../../../shared/http/http-server';
import { once, type Service } from '../../../shared/lifecycle/lifecycle';
import type { Logger } from '../../../shared/log/log';
import type { Registry } from '../../../shared/metrics/metrics';
import { createQueue } from '../../../shared/queue/create-queue';
import { createRoomRegistry } from '../../../shared/room-registry/create-room-registry';
import { createRemoteRoomDirectory } from '../../../shared/room-registry/remote-room-directory';
import { createRpcServer } from '../../../shared/rpc/grpc-server';
import { createRegisterClient } from '../../register/rpc/register-rpc-client';
import type { CoordinatorConfig } from '../config';
import { createCoordinator, type Coordinator } from '../coordinator';
import { coordinatorRpcHandlers, coordinatorRpcService } from './coordinator-rpc-handlers';

/** A coordinator in a cluster: the coordinator, its RPC and health servers, and its peers. */
export interface ClusterCoordinator extends Service {
  readonly coordinator: Coordinator;
  /** host:port of the RPC server (after start()). */
  rpcAddress(): string;
  /** Base URL of the /healthz, /readyz, /metrics server (after start()). */
  httpUrl(): string;
}

/**
 * Wires the coordinator for cluster mode: apps from MySQL, register over RPC, the Redis room
 * registry and queue, the rooms through a remote room directory; serves herald.v1.Coordinator
 * on rpcPort and health/metrics on port. stop() stops taking calls first, then lets the
 * coordinator finish its work (replies still reach the rooms), then closes the peers.
 */
export async function createClusterCoordinator(config: CoordinatorConfig, deps: { log: Logger; metrics: Registry }): Promise<ClusterCoordinator> {
  const { log, metrics } = deps;
  const apps = await createAppStore({ driver: 'mysql', mysqlUrl: config.mysqlUrl, refreshMs: config.appsRefreshMs, log });
  const register = createRegisterClient({ addresses: config.registerAddresses, deadlineMs: config.rpcDeadlineMs }, log);
  const stores = { driver: 'redis' as const, redisUrl: config.redisUrl, prefix: config.prefix, log };
  const registry = createRoomRegistry(stores);
  const queue = createQueue(stores);
  const rooms = createRemoteRoomDirectory(registry, { refreshMs: config.roomRefreshMs, deadlineMs: config.rpcDeadlineMs }, log);
  const coordinator = createCoordinator(config, { apps, register, rooms, registry, queue, log, metrics });
  const rpc = createRpcServer({ host: config.rpcHost, port: config.rpcPort, log, graceMs: config.rpcGraceMs });
  rpc.add(coordinatorRpcService, coordinatorRpcHandlers(coordinator));
  let ready = false;
  const http = createHttpServer({ name: 'coordinator', host: config.host, port: config.port, routes: [], log, metrics, ready: () => ready });

  return {
    coordinator,
    rpcAddress: () => rpc.address(),
    httpUrl: () => http.url(),
    async start() {
      await coordinator.start();
      await rpc.start();
      await http.start();
      ready = true;
      log.info('coordinator ready (cluster)', { rpc: rpc.address(), http: http.url() });
    },
    stop: once(async () => {
      ready = false;
      try {
        await rpc.stop();
        await coordinator.stop();
        await http.stop();
      } finally {
        rooms.close();
        register.close();
        await Promise.all([queue.close(), registry.close(), apps.close()]);
      }
    }),
  };
}
