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
import { createClusterCoordinator } from './rpc/cluster-coordinator';

// driver 'cluster': apps from MySQL, register and rooms over RPC, Redis registry and queue, the
// coordinator served over RPC (services/coordinator/rpc/cluster-coordinator.ts). driver
// 'memory': alone with no peers (standalone wires it in process: services/standalone).
const log = createLogger({ service: 'coordinator' });
runMain('coordinator', log, async () => {
  const config = loadConfig('coordinator', coordinatorSchema);
  const metrics = createRegistry(true);
  if (config.driver === 'cluster') return createClusterCoordinator(config, { log, metrics });
  return createCoordinator(config, {
    apps: createMemoryAppStore(),
    register: createMemorySessionStore(),
    rooms: { room: () => undefined },
    registry: createMemoryRoomRegistry(),
    queue: createMemoryQueue({ log }),
    log,
    metrics,
  });
});
