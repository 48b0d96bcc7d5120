/** Starts a private Redis and MariaDB for development and prints their URLs; Ctrl-C stops both. */
import { startMariadb, startRedis } from '../shared/testing/test-services';

async function main(): Promise<void> {
  const [redis, mysql] = await Promise.all([startRedis(), startMariadb()]);
  process.stdout.write(`HERALD_TEST_REDIS_URL=${redis.url}\nHERALD_TEST_MYSQL_URL=${mysql.url}\n`);
  const stop = (): void => void Promise.all([redis.stop(), mysql.stop()]).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
void main();
