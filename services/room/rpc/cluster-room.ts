import { createAppStore } from '../../../shared/apps/app-store';
import type { AppStore } from '../../../shared/contracts/apps';
import { once, type Service } from '../../../shared/lifecycle/lifecycle';
import type { Logger } from '../../../shared/log/log';
import type { Registry } from '../../../shared/metrics/metrics';
import { createQueue } from '../../../shared/queue/create-queue';
import { createRoomRegistry } from '../../../shared/room-registry/create-room-registry';
import { createRpcServer } from '../../../shared/rpc/grpc-server';
import { createCoordinatorClient } from '../../coordinator/rpc/coordinator-rpc-client';
import { createRegisterClient } from '../../register/rpc/register-rpc-client';
import { createSaverClient } from '../../saver/rpc/saver-rpc-client';
import type { RoomConfig } from '../config';
import type { Uws } from '../native';
import { createRoom, type Room } from '../room';
import { withRpcAddress } from './announce-rpc';
import { roomRpcHandlers, roomRpcService } from './room-rpc-handlers';

/** A room in a cluster: the room, its RPC server and its clients of the other services. */
export interface ClusterRoom extends Service {
  readonly room: Room;
  /** The RPC address announced in the registry (after start()). */
  rpcAddress(): string;
}

export interface ClusterRoomDeps {
  log: Logger;
  metrics: Registry;
  /** uWebSockets.js already loaded (tests). */
  uws?: Uws;
}

/**
 * Wires a room for cluster mode: apps from MySQL, register/saver/coordinator over RPC, the
 * Redis room registry (announcing the room's RPC address) and the Redis queue; serves
 * herald.v1.Room. stop() drains the room first (RPC still answering meanwhile), then closes
 * the RPC server, the clients and the stores. Only the app store connects before start().
 */
export async function createClusterRoom(config: RoomConfig, deps: ClusterRoomDeps): Promise<ClusterRoom> {
  const { log, metrics } = deps;
  const peer = (addresses: string[]) => ({ addresses, deadlineMs: config.rpcDeadlineMs });
  const apps: AppStore = await createAppStore({ driver: 'mysql', mysqlUrl: config.mysqlUrl, refreshMs: config.appsRefreshMs, log });
  const register = createRegisterClient(peer(config.registerAddresses), log);
  const saver = createSaverClient(peer(config.saverAddresses), log);
  const coordinator = createCoordinatorClient(peer(config.coordinatorAddresses), log);
  const stores = { driver: 'redis' as const, redisUrl: config.redisUrl, prefix: config.prefix, log };
  const registry = createRoomRegistry(stores);
  const queue = createQueue(stores);
  const rpc = createRpcServer({ host: config.rpcHost, port: config.rpcPort, log, graceMs: config.rpcGraceMs });
  let announced: string | undefined;
  const room = createRoom(config, {
    apps, register, saver, coordinator, queue, log, metrics, uws: deps.uws,
    registry: withRpcAddress(registry, () => announced),
  });
  rpc.add(roomRpcService, roomRpcHandlers(room));

  return {
    room,
    rpcAddress: () => announced ?? '',
    async start() {
      await rpc.start();
      announced = config.rpcAddress || rpc.address();
      await room.start();
      log.info('room ready (cluster)', { room: room.id, rpc: announced, urls: room.urls() });
    },
    stop: once(async () => {
      try {
        await room.stop();
        await rpc.stop();
      } finally {
        register.close();
        saver.close();
        coordinator.close();
        await Promise.all([queue.close(), registry.close(), apps.close()]);
      }
    }),
  };
}
