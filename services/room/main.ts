import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import { loadConfig } from '../../shared/config/config';
import type { CoordinatorService } from '../../shared/contracts/coordinator';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import { runMain } from '../../shared/lifecycle/run-main';
import type { Logger } from '../../shared/log/log';
import { createLogger } from '../../shared/log/log';
import { createRegistry, type Registry } from '../../shared/metrics/metrics';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { saverSchema } from '../saver/config';
import { createSaver } from '../saver/saver';
import { loadRoomConfig, type RoomConfig } from './config';
import { createRoom } from './room';
import { createClusterRoom } from './rpc/cluster-room';

// driver 'cluster': apps from MySQL, register/saver/coordinator over RPC, Redis registry and
// queue, the room served over RPC (services/room/rpc/cluster-room.ts). driver 'memory': alone
// on memory drivers with no apps (the standalone wiring lives in services/standalone).
const log = createLogger({ service: 'room' });

/** No coordinator in this process: upstream frames get Unavailable, status events are dropped. */
const noCoordinator: CoordinatorService = {
  upstream: async () => {
    throw new Error('no coordinator: run the standalone or the cluster wiring');
  },
  status: async () => undefined,
  replaced: async () => undefined,
};

function memoryRoom(config: RoomConfig, metrics: Registry, logger: Logger): Service {
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory' }), { log: logger, metrics });
  const queue = createMemoryQueue({ log: logger });
  const room = createRoom(config, {
    apps: createMemoryAppStore(),
    register: createMemorySessionStore(),
    saver,
    registry: createMemoryRoomRegistry(),
    queue,
    coordinator: noCoordinator,
    log: logger,
    metrics,
  });
  return {
    async start() {
      await saver.start();
      await room.start();
    },
    stop: once(async () => {
      await room.stop();
      await queue.close();
      await saver.stop();
    }),
  };
}

// SIGTERM -> stop(): room.stop() drains (Redirect + Draining close in batches) before closing.
runMain('room', log, async () => {
  const config = loadRoomConfig();
  const metrics = createRegistry(true);
  if (config.driver === 'cluster') return createClusterRoom(config, { log, metrics });
  return memoryRoom(config, metrics, log);
});
