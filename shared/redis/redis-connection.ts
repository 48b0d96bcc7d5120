import Redis from 'ioredis';
import type { Logger } from '../log/log';

export interface RedisConnectionOptions {
  /** Bound on one command and on connecting, ms: a Redis that went away rejects, never hangs. */
  timeoutMs?: number;
  /** Connect on the first command instead of at once. */
  lazyConnect?: boolean;
  autoPipelining?: boolean;
}

/** Opens an ioredis client for a Herald component; connection errors are logged, not thrown. */
export function openRedis(url: string, log: Logger, opts: RedisConnectionOptions = {}): Redis {
  const timeout = opts.timeoutMs ?? 5000;
  const redis = new Redis(url, {
    lazyConnect: opts.lazyConnect ?? false,
    maxRetriesPerRequest: 1,
    commandTimeout: timeout,
    connectTimeout: timeout,
    enableAutoPipelining: opts.autoPipelining ?? false,
  });
  // ioredis reports every failed reconnect: log one line per 10 s while Redis is away.
  let lastLog = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - lastLog < 10_000) return;
    lastLog = Date.now();
    log.warn('redis connection error', { err: err.message });
  });
  return redis;
}

/** Closes politely when connected (flushing what is queued), else drops the socket at once. */
export async function closeRedis(redis: Redis, log: Logger): Promise<void> {
  // quit() waits for a connection that may never come; a client not ready has nothing to flush.
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch (err) {
    log.warn('redis quit failed; disconnecting', { err: (err as Error).message });
    redis.disconnect();
  }
}
