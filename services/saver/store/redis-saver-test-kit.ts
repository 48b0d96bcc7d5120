import { Redis } from 'ioredis';
import { saverKeys } from './redis-saver-keys';

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

/** For tests: the ids in one broadcast/topic log and the size of the expiry index, as Redis holds them. */
export async function redisLogState(redisUrl: string, prefix: string, app: string, log: string): Promise<{ ids: string[]; expiryIndex: number }> {
  const redis = new Redis(redisUrl);
  try {
    const keys = saverKeys(prefix);
    return { ids: await redis.zrange(keys.log(app, log), '0', '-1'), expiryIndex: await redis.zcard(keys.logExpiry) };
  } finally {
    await redis.quit();
  }
}
