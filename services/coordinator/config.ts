import { int, list, oneOf, str, type ConfigOf } from '../../shared/config/config';

/** Coordinator options (section `coordinator`, env HERALD_COORDINATOR_<KEY>). */
export const coordinatorSchema = {
  shutdownTimeoutMs: int(10_000, 'hard bound on stop(), ms', 100),
  webhookTimeoutMs: int(5000, 'an upstream or status webhook call that takes longer fails, ms', 10, 120_000),
  maxConcurrentWebhooks: int(64, 'webhook calls in progress at once, per coordinator', 1, 10_000),
  maxReplyBytes: int(65_536, 'largest webhook answer read (and reply payload pushed back), bytes', 1024, 16 * 1024 * 1024),
  upstreamMaxAttempts: int(4, 'calls of an upstream webhook before the device gets an UpstreamFailed reply', 1, 100),
  retryBaseMs: int(500, 'delay before the first retry of a webhook; doubles each retry, ms', 1, 3_600_000),
  retryMaxMs: int(60_000, 'longest delay between webhook retries, ms', 1, 86_400_000),
  statusFlushMs: int(1000, 'status events are sent to an app at least this often, ms', 10, 3_600_000),
  statusBatchSize: int(500, 'status events per callback; a full buffer is sent at once', 1, 100_000),
  statusMaxAttempts: int(5, 'calls of a status callback before its events are dropped', 1, 100),
  recoveryPollMs: int(1000, 'how often the register epoch is checked for data loss, ms', 10, 3_600_000),
  // ---- the coordinator process alone (services/coordinator/main.ts); standalone ignores these ----
  driver: oneOf(['memory', 'cluster'] as const, 'memory', "'memory': no peers, no apps; 'cluster': Redis/MySQL, register and rooms over RPC"),
  redisUrl: str('redis://127.0.0.1:6379', 'Redis URL: room registry and retry queue (cluster)'),
  mysqlUrl: str('mysql://root@127.0.0.1:3306/herald', 'MySQL/MariaDB URL of the app store (cluster)'),
  prefix: str('herald:', 'Redis key prefix, the same in every service of the cluster'),
  registerAddresses: list(['127.0.0.1:7001'], 'host:port of each register (cluster)'),
  rpcHost: str('127.0.0.1', 'address the coordinator RPC server (herald.v1.Coordinator) listens on (cluster)', false),
  rpcPort: int(7003, 'port of the coordinator RPC server (0 = any free port)', 0, 65_535),
  rpcDeadlineMs: int(5000, 'deadline of each call to register and rooms, ms (cluster)', 10, 600_000),
  rpcGraceMs: int(5000, 'on stop, how long RPC calls in progress may finish, ms', 0, 600_000),
  roomRefreshMs: int(1000, 'how often the room registry is read for room RPC addresses, ms (cluster)', 10, 3_600_000),
  appsRefreshMs: int(5000, 'how often the MySQL app store is read again, ms (cluster)', 100, 3_600_000),
  host: str('127.0.0.1', 'address of the /healthz, /readyz and /metrics HTTP server (coordinator process only)', false),
  port: int(8083, 'port of the health/metrics HTTP server (0 = any free port)', 0, 65_535),
};
export type CoordinatorConfig = ConfigOf<typeof coordinatorSchema>;
