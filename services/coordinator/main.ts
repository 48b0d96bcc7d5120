import { loadConfig } from '../../shared/config/config';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { coordinatorSchema } from './config';
import { createCoordinator } from './coordinator';

// Alone, the coordinator has no peers yet: RPC wiring to register and rooms comes with cluster mode.
const log = createLogger({ service: 'coordinator' });
runMain('coordinator', log, async () =>
  createCoordinator(loadConfig('coordinator', coordinatorSchema), {
    register: createMemorySessionStore(),
    rooms: { room: () => undefined },
    log,
    metrics: createRegistry(true),
  }),
);
