import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import { loadConfig } from '../../shared/config/config';
import type { CoordinatorService } from '../../shared/contracts/coordinator';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { saverSchema } from '../saver/config';
import { createSaver } from '../saver/saver';
import { loadRoomConfig } from './config';
import { createRoom } from './room';

// Alone, the room runs on memory drivers with no apps: the standalone and cluster wiring
// (apps from config or MySQL, register/saver over RPC) is done by services/standalone.
const log = createLogger({ service: 'room' });

/** No coordinator in this process: upstream frames get Unavailable, status events are dropped. */
const noCoordinator: CoordinatorService = {
  upstream: async () => {
    throw new Error('no coordinator: run the standalone or the cluster wiring');
  },
  status: async () => undefined,
  replaced: async () => undefined,
};
runMain('room', log, async () => {
  const metrics = createRegistry(true);
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory' }), { log, metrics });
  const queue = createMemoryQueue({ log });
  const room = createRoom(loadRoomConfig(), {
    apps: createMemoryAppStore(),
    register: createMemorySessionStore(),
    saver,
    registry: createMemoryRoomRegistry(),
    queue,
    coordinator: noCoordinator,
    log,
    metrics,
  });
  return {
    async start() {
      await saver.start();
      await room.start();
    },
    async stop() {
      await room.stop();
      await queue.close();
      await saver.stop();
    },
  };
});
