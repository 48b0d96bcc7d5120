import { createLogger } from '../log/log';
import { closeRedis, openRedis } from '../redis/redis-connection';

/** The prefix as a SCAN MATCH pattern that matches it literally, then anything. */
function prefixPattern(prefix: string): string {
  return prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`) + '*';
}

/**
 * Deletes every key starting with prefix (SCAN + DEL, never FLUSH), so a test can simulate the
 * loss of one component's data on a Redis shared with other tests. Answers how many went.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (!prefix) throw new Error('deleteKeysWithPrefix: refusing an empty prefix (that is every key)');
  const log = createLogger({ component: 'redis-wipe' }, 'error');
  const redis = openRedis(url, log);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', prefixPattern(prefix), 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await closeRedis(redis, log);
  }
  return deleted;
}
