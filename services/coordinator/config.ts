import { int, type ConfigOf } from '../../shared/config/config';

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
};
export type CoordinatorConfig = ConfigOf<typeof coordinatorSchema>;
