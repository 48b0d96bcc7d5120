import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import { loadConfig } from '../../shared/config/config';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { coordinatorSchema } from './config';
import { createCoordinator } from './coordinator';

// Alone, the coordinator has no peers yet: RPC wiring to register, rooms, apps and the shared
// queue comes with cluster mode; standalone (services/standalone) wires it in process.
const log = createLogger({ service: 'coordinator' });
runMain('coordinator', log, async () =>
  createCoordinator(loadConfig('coordinator', coordinatorSchema), {
    apps: createMemoryAppStore(),
    register: createMemorySessionStore(),
    rooms: { room: () => undefined },
    registry: createMemoryRoomRegistry(),
    queue: createMemoryQueue({ log }),
    log,
    metrics: createRegistry(true),
  }),
);
