import { loadConfig } from '../../shared/config/config';
import { withTimeout } from '../../shared/lifecycle/lifecycle';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { registerSchema } from './config';
import { createRegister } from './register';

const STOP_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const log = createLogger({ service: 'register' });
  const config = loadConfig('register', registerSchema);
  const register = createRegister(config, { log, metrics: createRegistry(true) });
  await register.start();
  const shutdown = (signal: string): void => {
    log.info('stopping', { signal });
    withTimeout('register stop', STOP_TIMEOUT_MS, () => register.stop()).then(
      () => process.exit(0),
      (err: Error) => {
        log.error('stop failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: Error) => {
  process.stderr.write(`register: ${err.message}\n`);
  process.exit(1);
});
