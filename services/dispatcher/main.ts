import { loadConfig } from '../../shared/config/config';
import { withTimeout } from '../../shared/lifecycle/lifecycle';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createRoomRegistry } from '../../shared/room-registry/create-room-registry';
import { dispatcherSchema } from './config';
import { createDispatcher } from './dispatcher';

const STOP_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const log = createLogger({ service: 'dispatcher' });
  const config = loadConfig('dispatcher', dispatcherSchema);
  const registry = createRoomRegistry({ driver: config.registryDriver, redisUrl: config.redisUrl, prefix: config.prefix, log });
  const dispatcher = createDispatcher(config, { registry, log, metrics: createRegistry(true) });
  await dispatcher.start();
  const shutdown = (signal: string): void => {
    log.info('stopping', { signal });
    const stopAll = async (): Promise<void> => {
      await dispatcher.stop();
      await registry.close();
    };
    withTimeout('dispatcher stop', STOP_TIMEOUT_MS, stopAll).then(
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
  process.stderr.write(`dispatcher: ${err.message}\n`);
  process.exit(1);
});
