import { Redis } from 'ioredis';

/**
 * For tests: deletes every key under one prefix (SCAN + DEL, never FLUSHALL), simulating a
 * Redis that lost this saver's data while leaving other tests' keys alone. Returns how many.
 */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    let n = 0;
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) n += await redis.del(...found);
    } while (cursor !== '0');
    return n;
  } finally {
    await redis.quit();
  }
}
