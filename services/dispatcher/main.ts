import { loadConfig } from '../../shared/config/config';
import { once } from '../../shared/lifecycle/lifecycle';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createRoomRegistry } from '../../shared/room-registry/create-room-registry';
import { dispatcherSchema } from './config';
import { createDispatcher } from './dispatcher';

const log = createLogger({ service: 'dispatcher' });
runMain('dispatcher', log, async () => {
  const config = loadConfig('dispatcher', dispatcherSchema);
  const registry = createRoomRegistry({ driver: config.registryDriver, redisUrl: config.redisUrl, prefix: config.prefix, log });
  const dispatcher = createDispatcher(config, { registry, log, metrics: createRegistry(true) });
  return {
    start: () => dispatcher.start(),
    stop: once(async () => {
      await dispatcher.stop();
      await registry.close();
    }),
  };
});
