import type { SessionStore } from '../../../shared/contracts/register';
import type { Logger } from '../../../shared/log/log';
import { createMemorySessionStore } from './memory-session-store';
import { createRedisSessionStore } from './redis-session-store';

export type { Session, SessionRef, SessionStore } from '../../../shared/contracts/register';
export { InvalidSessionError } from './validate';

export interface SessionStoreOptions {
  driver: 'memory' | 'redis';
  /** Required for the redis driver. */
  redisUrl?: string;
  /** Redis key prefix. Default 'herald:'. */
  prefix?: string;
  /** A session not touched within this many seconds disappears. Default 180. */
  sessionTtlSeconds?: number;
  /** A user's device list lives this long after its last register. Default 30 days. */
  userTtlSeconds?: number;
  log?: Logger;
}

/** A session store with a readiness probe (memory: always ready). */
export interface ManagedSessionStore extends SessionStore {
  ready(timeoutMs?: number): Promise<void>;
}

/** Creates the session store for a driver; throws on an unknown driver or a missing redisUrl. */
export function createSessionStore(opts: SessionStoreOptions): ManagedSessionStore {
  const ttls = { sessionTtlSeconds: opts.sessionTtlSeconds, userTtlSeconds: opts.userTtlSeconds };
  switch (opts.driver) {
    case 'memory':
      return { ...createMemorySessionStore(ttls), ready: async () => undefined };
    case 'redis':
      if (!opts.redisUrl) throw new Error('session store: the redis driver needs redisUrl');
      return createRedisSessionStore({ redisUrl: opts.redisUrl, prefix: opts.prefix, log: opts.log, ...ttls });
    default:
      throw new Error(`session store: unknown driver ${JSON.stringify((opts as { driver: unknown }).driver)}`);
  }
}
