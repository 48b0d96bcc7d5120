import { int, oneOf, str, type ConfigOf } from '../../shared/config/config';

/** The register service's options (section 'register', env HERALD_REGISTER_<KEY>). */
export const registerSchema = {
  driver: oneOf(['memory', 'redis'] as const, 'memory', 'session store backend'),
  redisUrl: str('redis://127.0.0.1:6379', 'Redis URL (redis driver)'),
  prefix: str('herald:', 'Redis key prefix'),
  sessionTtlSeconds: int(180, 'a session not touched within this many seconds is dropped', 1, 86_400),
  userTtlSeconds: int(30 * 24 * 3600, "a user's device list is kept this long after its last register", 1, 10 * 365 * 24 * 3600),
  startTimeoutMs: int(5000, 'how long start() waits for the store to answer', 1, 600_000),
  rpcHost: str('127.0.0.1', 'address the register RPC server (herald.v1.Register) listens on (register process only)', false),
  rpcPort: int(7001, 'port of the register RPC server (0 = any free port)', 0, 65_535),
  rpcGraceMs: int(5000, 'on stop, how long RPC calls in progress may finish before they are cut, ms', 0, 600_000),
  httpHost: str('127.0.0.1', 'address of the /healthz, /readyz and /metrics HTTP server (register process only)', false),
  httpPort: int(7101, 'port of the health/metrics HTTP server (0 = any free port)', 0, 65_535),
};

export type RegisterConfig = ConfigOf<typeof registerSchema>;
