import { loadConfig } from '../../shared/config/config';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { freshMysqlDatabase } from '../../shared/testing/mysql-test-db';
import { saverSchema, type SaverConfig } from './config';
import { createSaver } from './saver';

/** Saver tests on the redis driver: a fresh MySQL database and key prefix each, no cleanup timer. */
export async function redisConfig(over: Partial<SaverConfig> = {}): Promise<SaverConfig> {
  return loadConfig(
    'saver',
    saverSchema,
    { driver: 'redis', redisUrl: testRedisUrl(), mysqlUrl: await freshMysqlDatabase('saver'), prefix: uniquePrefix('saver'), cleanupIntervalMs: 0, ...over },
    {},
  );
}

/** A started saver on the config, logging only errors. */
export async function started(config: SaverConfig): Promise<ReturnType<typeof createSaver>> {
  const saver = createSaver(config, { log: createLogger({}, 'error'), metrics: createRegistry() });
  await saver.start();
  return saver;
}
