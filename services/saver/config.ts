import { int, oneOf, str, type ConfigOf } from '../../shared/config/config';

/**
 * The saver's options. `driver: 'memory'` keeps everything in this process (standalone);
 * `'redis'` keeps the hot inbox in Redis and the durable copy in MySQL/MariaDB.
 * Environment overrides: HERALD_SAVER_<KEY>, e.g. HERALD_SAVER_MAX_ATTEMPTS.
 */
export const saverSchema = {
  driver: oneOf(['memory', 'redis'] as const, 'memory', "'memory' or 'redis' (Redis hot inbox + MySQL durable copy)"),
  redisUrl: str('redis://127.0.0.1:6379', 'Redis URL (redis driver)'),
  mysqlUrl: str('mysql://root@127.0.0.1:3306/herald', 'MySQL/MariaDB URL with the database name (redis driver)'),
  prefix: str('herald:', 'prefix of every Redis key the saver writes'),
  maxAttempts: int(5, 'deliveries of one message to one device without an ack before it is dead-lettered', 1, 1000),
  pendingLimit: int(100, 'default number of messages pending() answers', 1, 10_000),
  cleanupIntervalMs: int(30_000, 'how often expired inbox entries are removed, ms (0 = never)', 0, 86_400_000),
  cleanupBatch: int(1000, 'most expired entries removed per statement by one cleanup pass', 1, 100_000),
  statusRetentionMs: int(86_400_000, 'how long a message status stays readable after it expired (qos 0: after store), ms', 1000),
  batchRows: int(500, 'most rows one coalesced MySQL statement writes', 1, 10_000),
  attemptWriteDelayMs: int(1000, 'how long a delivery attempt waits before MySQL records it, ms: an ack within it makes the write moot (0 = at once)', 0, 60_000),
  opTimeoutMs: int(5000, 'bound on one Redis/MySQL operation before it rejects, ms', 100, 600_000),
  host: str('0.0.0.0', 'address of the health/metrics HTTP server (saver process only)'),
  port: int(8086, 'port of the health/metrics HTTP server (0 = any free port)', 0, 65535),
  rpcHost: str('127.0.0.1', 'address the saver RPC server (herald.v1.Saver) listens on (saver process only)'),
  rpcPort: int(7002, 'port of the saver RPC server (0 = any free port)', 0, 65535),
  deadLetterLimit: int(10_000, 'dead letters kept per app by the memory driver', 1, 10_000_000),
} as const;

export type SaverConfig = ConfigOf<typeof saverSchema>;
