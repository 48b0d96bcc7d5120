import { type ConfigOf, bool, int, list, oneOf, str } from '../../shared/config/config';

const DAY = 86_400;

/** The center's options (section `center`, env HERALD_CENTER_<KEY>). */
export const centerSchema = {
  host: str('127.0.0.1', 'address the public HTTP API listens on', false),
  port: int(8080, 'port of the public HTTP API (0 = any free port)', 0, 65_535),
  adminToken: str('', 'Bearer token of the admin API and of every app; empty = admin API disabled'),
  maxPayloadBytes: int(4096, 'largest push payload, bytes (after base64 decoding)', 1, 16 * 1024 * 1024),
  defaultTtlSeconds: int(DAY, 'ttl of a push that gives none, seconds', 0, 365 * DAY),
  maxTtlSeconds: int(7 * DAY, 'largest ttl a push may ask for, seconds', 0, 365 * DAY),
  maxTargets: int(10_000, 'most devices or users one push may name', 1, 1_000_000),
  lookupBatch: int(500, 'devices looked up in register per call when sending', 1, 100_000),
  multicastChunk: int(1000, 'devices per multicast slice on the queue; longer device/user lists and every tag push are split', 1, 100_000),
  maxScheduleSeconds: int(30 * DAY, 'latest sendAt a push may ask for, seconds from now', 1, 365 * DAY),
  taskMaxInFlight: int(4, 'multicast and scheduled queue tasks one center works on at once', 1, 1000),
  taskTimeoutMs: int(60_000, 'a queue task not finished or touched within this is given to another center, ms', 1000, 3_600_000),
  taskRetryDelayMs: int(2000, 'delay before a failed queue task is tried again, ms', 0, 3_600_000),
  mintTokenTtlSeconds: int(DAY, 'default lifetime of a token minted by POST /tokens, seconds', 1, 365 * DAY),
  appsFile: str('', "JSON file {apps: [...]} loaded at start ('' = none)"),
  appsDriver: oneOf(['memory', 'mysql'] as const, 'memory', 'where apps are kept'),
  mysqlUrl: str('', 'MySQL URL of the apps table (appsDriver mysql)'),
  driver: oneOf(['memory', 'cluster'] as const, 'memory', "main.ts only: 'memory' = alone with in-process stand-ins; 'cluster' = register, saver and rooms over RPC, queue and room registry in Redis"),
  redisUrl: str('redis://127.0.0.1:6379', 'Redis URL of the queue and the room registry (driver cluster)'),
  prefix: str('herald:', 'prefix of every Redis key (driver cluster; the same in every service of a cluster)'),
  registerAddresses: list(['127.0.0.1:7001'], 'host:port of each register instance (driver cluster)'),
  saverAddresses: list(['127.0.0.1:7002'], 'host:port of each saver instance (driver cluster)'),
  rpcDeadlineMs: int(5000, 'deadline of one RPC call to register, saver or a room, ms (driver cluster)', 10, 600_000),
  demoApp: bool(false, "create the demo app (id 'demo') in the app store when missing; development only"),
};

export type CenterConfig = ConfigOf<typeof centerSchema>;
