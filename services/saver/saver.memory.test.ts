import { createLogger } from '../../shared/log/log';
import { loadConfig } from '../../shared/config/config';
import { createRegistry } from '../../shared/metrics/metrics';
import { saverSchema } from './config';
import { createSaver } from './saver';
import { describeSaver } from './saver.contract';
import { describeSaverLogs } from './saver-log.contract';

describeSaver('memory', async (over) => {
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory', ...over }, {}), {
    log: createLogger({}, 'warn'),
    metrics: createRegistry(),
  });
  await saver.start();
  return saver;
});

describeSaverLogs('memory', async (over) => {
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory', ...over }, {}), {
    log: createLogger({}, 'warn'),
    metrics: createRegistry(),
  });
  await saver.start();
  return saver;
});
