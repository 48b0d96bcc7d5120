import type { Logger } from '../log/log';
import { createMemoryRoomRegistry } from './memory-room-registry';
import { createRedisRoomRegistry } from './redis-room-registry';
import type { RoomRegistry } from './room-registry';

export type { RoomInfo, RoomRegistry } from './room-registry';

export interface RoomRegistryOptions {
  driver: 'memory' | 'redis';
  /** Required for the redis driver. */
  redisUrl?: string;
  /** Redis key prefix. Default 'herald:'. */
  prefix?: string;
  log?: Logger;
}

/** Creates the room registry for a driver; throws on an unknown driver or a missing redisUrl. */
export function createRoomRegistry(opts: RoomRegistryOptions): RoomRegistry {
  switch (opts.driver) {
    case 'memory':
      return createMemoryRoomRegistry();
    case 'redis':
      if (!opts.redisUrl) throw new Error('room registry: the redis driver needs redisUrl');
      return createRedisRoomRegistry({ redisUrl: opts.redisUrl, prefix: opts.prefix, log: opts.log });
    default:
      throw new Error(`room registry: unknown driver ${JSON.stringify((opts as { driver: unknown }).driver)}`);
  }
}
