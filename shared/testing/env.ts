import { randomBytes } from 'node:crypto';

/**
 * URLs of the private Redis and MariaDB that the test run (scripts/test-run.ts) started.
 * Integration tests call these; run them through `npm test`, which sets the variables.
 */
export function testRedisUrl(): string {
  const url = process.env.HERALD_TEST_REDIS_URL;
  if (!url) throw new Error('HERALD_TEST_REDIS_URL is not set: run the tests with `npm test`, which starts a private Redis');
  return url;
}

/** mysql://root@127.0.0.1:PORT (no database): see mysql-test-db.ts for a fresh database. */
export function testMysqlUrl(): string {
  const url = process.env.HERALD_TEST_MYSQL_URL;
  if (!url) throw new Error('HERALD_TEST_MYSQL_URL is not set: run the tests with `npm test`, which starts a private MariaDB');
  return url;
}

/** A key prefix no other test uses, so tests can share one Redis. */
export function uniquePrefix(name = 't'): string {
  return `${name}-${randomBytes(4).toString('hex')}:`;
}
