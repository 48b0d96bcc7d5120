import { randomBytes } from 'node:crypto';
import { bool, ConfigError, int, list, loadConfig, oneOf, str, type ConfigOf } from '../../shared/config/config';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The room's options; env overrides are HERALD_ROOM_<KEY> (e.g. HERALD_ROOM_MAX_PAYLOAD). */
export const roomSchema = {
  id: str('', 'room id announced in the registry; empty = room-<random>'),
  host: str('127.0.0.1', 'address to listen on', false),
  port: int(8090, 'port to listen on (0 = any free port)', 0, 65535),
  path: str('/ws', 'WebSocket path', false),
  publicUrls: list([], 'URLs clients connect to; empty = ws://host:port/path'),
  zone: str('default', 'zone / IDC announced to the dispatcher', false),
  networks: list([], 'network types this room serves; empty = all'),
  capacity: int(15000, 'most connections this room accepts', 1),
  authTimeoutMs: int(10_000, 'the Auth frame must arrive within this, else close AuthTimeout', 1),
  heartbeatMinSeconds: int(15, 'smallest heartbeat interval handed out', 1),
  heartbeatMaxSeconds: int(300, 'largest heartbeat interval handed out', 1),
  heartbeatWifiSeconds: int(60, 'heartbeat for wifi clients', 1),
  heartbeatEthernetSeconds: int(60, 'heartbeat for ethernet clients', 1),
  heartbeatCellularSeconds: int(180, 'heartbeat for cellular clients', 1),
  heartbeatUnknownSeconds: int(90, 'heartbeat when the client does not say its network', 1),
  heartbeatMisses: int(1, 'heartbeats a client may miss before it is closed', 0, 100),
  sweepIntervalMs: int(1000, 'resolution of the auth-deadline / heartbeat sweep', 10, 60_000),
  maxPayload: int(64 * KiB, 'largest client frame in bytes (bigger: FrameTooLarge)', 16),
  rateLimitPerSecond: int(50, 'client frames per second per connection (token bucket rate)', 1, 1_000_000),
  rateLimitBurst: int(100, 'client frames in a burst per connection (token bucket size)', 1, 1_000_000),
  maxBackpressure: int(MiB, 'bytes buffered for a socket beyond which publishes skip it (resent from the log when it drains)', KiB),
  slowConsumerMs: int(10_000, 'a socket over maxBackpressure this long is closed as a slow consumer', 1),
  slowScanBatch: int(2000, 'connections checked for backpressure per tick (a bounded scan)', 1),
  catchupIntervalMs: int(1000, 'least time between two log catch-ups of one connection after it drained', 0),
  touchIntervalMs: int(30_000, 'how often live sessions are touched in register (one batch)', 10),
  announceIntervalMs: int(5000, 'how often the room announces itself (TTL is 3x)', 10),
  allowFallback: bool(false, 'start even when uWebSockets.js runs its slow pure-JS fallback'),
  closeBatchSize: int(1000, 'sockets closed per event-loop turn while draining', 1),
  maxTokens: int(16, 'most app tokens in one Auth frame', 1, 1000),
  pendingLimit: int(100, 'pending messages loaded per app at connect', 1, 10_000),
  fanoutMaxInFlight: int(64, 'fan-out queue messages handed to the room at once (one publish pass)', 1, 10_000),
  fanoutTimeoutMs: int(10_000, 'a fan-out message not finished within this is redelivered', 100),
  fanoutWindowMs: int(5, 'how long a fan-out task waits for others to publish with, ms: one write per socket for a burst of broadcasts (0 = the next event-loop turn)', 0, 1000),
  logIdsMax: int(100_000, 'broadcast/topic message ids remembered room-wide so acks move watermarks', 100),
  graceMs: int(30_000, 'a dropped session is kept this long for a flash reconnect (resume) to the room; 0 = off', 0),
  unackedMax: int(256, 'qos 1 messages sent and not acked kept per connection for a resume (oldest dropped)', 0, 10_000),
  drainIntervalMs: int(100, 'pause between two batches of closed sockets while draining', 0),
  drainDeadlineMs: int(30_000, 'drain() closes whatever is left at this time', 0),
  stopDrainDeadlineMs: int(5000, 'the drain that stop() runs first closes whatever is left at this time', 0),
  upstreamMaxType: int(64, 'longest Upstream type name (characters)', 1, 1024),
  compactAfterChanges: int(5000, "connects + closes after which the room runs one full GC once they stop, then gives the C heap's free pages back (malloc_trim, with native/malloc-trim): gives back the garbage of a connect storm (and once after start, of start-up); 0 = never", 0),
  compactQuietMs: int(1000, 'the storm is over once a window this long saw fewer than compactAfterChanges / 100 connects + closes and the event loop busy under half of it, ms', 1),
  compactFollowMs: int(6000, 'a second full GC this long after the first, if the room stayed quiet: it moves what the first left scattered and lets V8 shrink its young generation, ms; 0 = none', 0),
  reflushBatch: int(1000, 'sessions per register call when the room registers them all again', 1),
  // ---- the room process alone (services/room/main.ts); the standalone wiring ignores these ----
  driver: oneOf(['memory', 'cluster'] as const, 'memory', "'memory': everything in this process, no apps; 'cluster': Redis/MySQL and RPC peers"),
  redisUrl: str('redis://127.0.0.1:6379', 'Redis URL: room registry and fan-out queue (cluster)'),
  mysqlUrl: str('mysql://root@127.0.0.1:3306/herald', 'MySQL/MariaDB URL of the app store (cluster)'),
  prefix: str('herald:', 'Redis key prefix, the same in every service of the cluster'),
  registerAddresses: list(['127.0.0.1:7001'], 'host:port of each register (cluster)'),
  saverAddresses: list(['127.0.0.1:7002'], 'host:port of each saver (cluster)'),
  coordinatorAddresses: list(['127.0.0.1:7003'], 'host:port of each coordinator (cluster)'),
  rpcHost: str('127.0.0.1', 'address the room RPC server (herald.v1.Room) listens on (cluster)', false),
  rpcPort: int(7010, 'port of the room RPC server (0 = any free port)', 0, 65535),
  rpcAddress: str('', 'RPC address announced in the registry for center and coordinator; empty = rpcHost:the real port'),
  rpcDeadlineMs: int(5000, 'deadline of each call to register, saver and coordinator, ms (cluster)', 10, 600_000),
  rpcGraceMs: int(5000, 'on stop, how long room RPC calls in progress may finish, ms', 0, 600_000),
  appsRefreshMs: int(5000, 'how often the MySQL app store is read again, ms (cluster)', 100, 3_600_000),
} as const;

export type RoomConfig = ConfigOf<typeof roomSchema>;

/** Resolves the room config (defaults < given < env) and fills derived defaults. */
export function loadRoomConfig(given: Partial<RoomConfig> = {}, env: NodeJS.ProcessEnv = process.env): RoomConfig {
  const loaded = loadConfig('room', roomSchema, given, env);
  const config = { ...loaded, id: loaded.id || `room-${randomBytes(4).toString('hex')}` };
  if (!config.path.startsWith('/')) throw new ConfigError('room.path: must start with /');
  if (config.heartbeatMinSeconds > config.heartbeatMaxSeconds) {
    throw new ConfigError('room.heartbeatMinSeconds: must not exceed room.heartbeatMaxSeconds');
  }
  if (config.driver === 'cluster') checkCluster(config);
  return config;
}

function checkCluster(config: RoomConfig): void {
  for (const key of ['registerAddresses', 'saverAddresses', 'coordinatorAddresses'] as const) {
    if (config[key].length === 0) throw new ConfigError(`room.${key}: the cluster driver needs at least one address`);
  }
  if (config.rpcHost === '0.0.0.0' || config.rpcHost === '::') {
    if (!config.rpcAddress) throw new ConfigError(`room.rpcAddress: must be set when rpcHost is ${config.rpcHost} (peers cannot dial it)`);
  }
}
