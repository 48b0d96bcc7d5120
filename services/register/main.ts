import { loadConfig } from '../../shared/config/config';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { registerSchema } from './config';
import { createRegister } from './register';

// The register alone; other processes reach it once cluster mode adds RPC.
const log = createLogger({ service: 'register' });
runMain('register', log, async () => createRegister(loadConfig('register', registerSchema), { log, metrics: createRegistry(true) }));
