import { int, oneOf, str, type ConfigOf } from '../../shared/config/config';

/** The dispatcher's options (section 'dispatcher', env HERALD_DISPATCHER_<KEY>). */
export const dispatcherSchema = {
  host: str('127.0.0.1', 'HTTP listen address', false),
  port: int(8081, 'HTTP port (0 = any free port)', 0, 65_535),
  zone: str('', "zone assumed when a request names none ('' = any zone)"),
  cacheMs: int(1000, 'how long the room list read from the registry is reused, ms', 0, 600_000),
  maxRooms: int(3, 'most rooms answered per request', 1, 100),
  registryDriver: oneOf(['memory', 'redis'] as const, 'memory', 'room registry backend (main.ts only)'),
  redisUrl: str('redis://127.0.0.1:6379', 'Redis URL of the room registry (redis driver)'),
  prefix: str('herald:', 'Redis key prefix of the room registry'),
};

export type DispatcherConfig = ConfigOf<typeof dispatcherSchema>;
