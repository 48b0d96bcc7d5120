import { Counter, Gauge, Histogram } from 'prom-client';
import { counter, gauge, histogram, type Registry } from '../../shared/metrics/metrics';
import { CloseCode } from '../../shared/protocol/codes';

export const clientFrameTypes = ['auth', 'ping', 'ack', 'upstream', 'bind', 'unbind', 'subscribe', 'unsubscribe', 'bad'] as const;
export type ClientFrameType = (typeof clientFrameTypes)[number];
export const serverFrameTypes = ['authOk', 'pong', 'push', 'reply', 'kick', 'redirect', 'error'] as const;
export type ServerFrameType = (typeof serverFrameTypes)[number];
export const authFailureReasons = ['unknown_app', 'bad_token', 'expired', 'timeout', 'no_tokens', 'unavailable'] as const;
export type AuthFailureReason = (typeof authFailureReasons)[number];

type Children<K extends string> = Record<K, Counter.Internal>;

/** The room's metrics, label children resolved once so hot paths do not build label objects. */
export interface RoomMetrics {
  connections: Gauge.Internal<string>;
  framesIn: Children<ClientFrameType>;
  framesOut: Children<ServerFrameType>;
  pushesSent: Counter.Internal;
  acks: Counter.Internal;
  authFailures: Children<AuthFailureReason>;
  /** Counts a close by code; codes we do not know count as 'other' (clients choose codes). */
  close(code: number): void;
  deliverSeconds: Histogram.Internal<string>;
  /** Handler errors (exceptions, failed dependency calls); bad client bytes are not errors. */
  errors: Counter.Internal;
  /** Fan-out tasks published to local topics; bad ones dropped; expired ones skipped. */
  fanoutTasks: Counter.Internal;
  fanoutBad: Counter.Internal;
  fanoutExpired: Counter.Internal;
  /** Log catch-ups of connections that may have missed publishes (over maxBackpressure). */
  catchups: Counter.Internal;
  /** Acked ids that moved a broadcast/topic watermark. */
  logAcks: Counter.Internal;
  /** Upstream frames handed to the coordinator, and those it refused (answered Unavailable). */
  upstreams: Counter.Internal;
  upstreamFailures: Counter.Internal;
  /** Failed coordinator.status calls (the events are lost; never fatal). */
  statusFailures: Counter.Internal;
  /** Sessions taken over by a flash reconnect (Auth.resume). */
  resumes: Counter.Internal;
  /** Sessions of dropped connections kept for a resume (set each tick). */
  graceSessions: Gauge.Internal<string>;
  /** Connections closed by kick(). */
  kicks: Counter.Internal;
  /** Full GCs after a connect storm (compact.ts), by pause. */
  compactions: Histogram.Internal<string>;
  /** 1 while a compaction or its follow-up is still to come (set each tick). */
  compactionDue: Gauge.Internal<string>;
}

function children<K extends string>(c: Counter<string>, label: string, keys: readonly K[], room: string): Children<K> {
  const out = {} as Children<K>;
  for (const k of keys) out[k] = c.labels({ room, [label]: k });
  return out;
}

export function createRoomMetrics(registry: Registry, roomId: string): RoomMetrics {
  const room = roomId;
  const framesIn = counter(registry, 'herald_room_frames_in_total', 'Client frames received, by type', ['room', 'type']);
  const framesOut = counter(registry, 'herald_room_frames_out_total', 'Server frames sent, by type', ['room', 'type']);
  const authFailures = counter(registry, 'herald_room_auth_failures_total', 'Failed authentications, by reason', ['room', 'reason']);
  const closes = counter(registry, 'herald_room_closes_total', 'Closed connections, by close code', ['room', 'code']);
  const known = new Map<number, Counter.Internal>();
  for (const code of [...Object.values(CloseCode), 1000, 1001, 1005, 1006, 1009]) {
    known.set(code, closes.labels({ room, code: String(code) }));
  }
  const other = closes.labels({ room, code: 'other' });
  return {
    connections: gauge(registry, 'herald_room_connections', 'Open WebSocket connections', ['room']).labels({ room }),
    framesIn: children(framesIn, 'type', clientFrameTypes, room),
    framesOut: children(framesOut, 'type', serverFrameTypes, room),
    pushesSent: counter(registry, 'herald_room_pushes_sent_total', 'Push frames written to sockets', ['room']).labels({ room }),
    acks: counter(registry, 'herald_room_acks_total', 'Message ids acked by clients', ['room']).labels({ room }),
    authFailures: children(authFailures, 'reason', authFailureReasons, room),
    close: (code) => (known.get(code) ?? other).inc(),
    deliverSeconds: histogram(registry, 'herald_room_deliver_seconds', 'deliver(): attempt until written', ['room']).labels({ room }),
    errors: counter(registry, 'herald_room_errors_total', 'Room handler errors', ['room']).labels({ room }),
    fanoutTasks: counter(registry, 'herald_room_fanout_tasks_total', 'Fan-out tasks published to local topics', ['room']).labels({ room }),
    fanoutBad: counter(registry, 'herald_room_fanout_bad_total', 'Fan-out tasks that could not be decoded (dropped)', ['room']).labels({ room }),
    fanoutExpired: counter(registry, 'herald_room_fanout_expired_total', 'Fan-out tasks already expired (skipped)', ['room']).labels({ room }),
    catchups: counter(registry, 'herald_room_log_catchups_total', 'Log catch-ups after a socket skipped publishes', ['room']).labels({ room }),
    logAcks: counter(registry, 'herald_room_log_acks_total', 'Acked ids that moved a broadcast/topic watermark', ['room']).labels({ room }),
    upstreams: counter(registry, 'herald_room_upstreams_total', 'Upstream frames handed to the coordinator', ['room']).labels({ room }),
    upstreamFailures: counter(registry, 'herald_room_upstream_failures_total', 'Upstream frames the coordinator refused', ['room']).labels({ room }),
    statusFailures: counter(registry, 'herald_room_status_failures_total', 'Failed online/offline status calls', ['room']).labels({ room }),
    resumes: counter(registry, 'herald_room_resumes_total', 'Sessions resumed by a flash reconnect', ['room']).labels({ room }),
    graceSessions: gauge(registry, 'herald_room_grace_sessions', 'Dropped sessions kept for a resume', ['room']).labels({ room }),
    kicks: counter(registry, 'herald_room_kicks_total', 'Connections closed by kick', ['room']).labels({ room }),
    compactions: histogram(registry, 'herald_room_compaction_seconds', 'Full GCs after a connect storm, by pause', ['room']).labels({ room }),
    compactionDue: gauge(registry, 'herald_room_compaction_due', 'A full GC after a connect storm is still to come (1) or not (0)', ['room']).labels({ room }),
  };
}
