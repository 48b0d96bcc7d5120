import { createLogger, type Logger } from '../log/log';
import { createMemoryQueue } from './memory-queue';
import type { Queue } from './queue';
import { createRedisQueue } from './redis-queue';

export interface CreateQueueOptions {
  driver: 'memory' | 'redis';
  /** Required for the redis driver. */
  redisUrl?: string;
  /** Key prefix for the redis driver (default 'herald:'). */
  prefix?: string;
  /** Messages a topic keeps: the stream's approximate MAXLEN / the memory backlog (default 100000). */
  maxLen?: number;
  log?: Logger;
}

/** The queue backend the config names; throws on an unknown driver or a redis driver without a URL. */
export function createQueue(opts: CreateQueueOptions): Queue {
  const log = opts.log ?? createLogger({ component: 'queue' });
  switch (opts.driver) {
    case 'memory':
      return createMemoryQueue({ maxLen: opts.maxLen, log });
    case 'redis':
      if (!opts.redisUrl) throw new Error('queue: the redis driver needs redisUrl');
      return createRedisQueue({ url: opts.redisUrl, prefix: opts.prefix ?? 'herald:', maxLen: opts.maxLen, log });
    default:
      throw new Error(`queue: unknown driver ${JSON.stringify((opts as { driver: unknown }).driver)}: want 'memory' or 'redis'`);
  }
}
