/**
 * Messages between the load-test parent and its forked processes (client workers and the
 * pusher), and the push payload both ends share: 12 bytes, the send time (float64 ms since
 * the epoch, sub-millisecond) then a uint32 sequence number, little-endian.
 */
import { performance } from 'node:perf_hooks';

/** How a worker's clients talk: the Herald protocol (Auth, Ping, Ack), or raw (bare uWS baseline: no Auth; its frames are decoded the same). */
export type ClientMode = 'herald' | 'raw';

/** What a client worker needs to open its sockets. */
export interface WorkerInit {
  type: 'init';
  worker: number;
  mode: ClientMode;
  url: string;
  app: string;
  secret: string;
  /** Device ids are `${devicePrefix}${index}`. */
  devicePrefix: string;
  /** Source addresses this worker binds its sockets to, used round-robin. */
  localAddresses: string[];
  /** Connect + auth must finish within this, else it counts as a failure. */
  timeoutMs: number;
  /** Report the sequence number of every unicast push received (for the loss check). */
  trackSeqs: boolean;
}

/** Parent -> worker commands after init. */
export type WorkerCommand =
  | WorkerInit
  /** Connect devices [from, to) at `rate` per second with at most `inflight` handshakes at once. */
  | { type: 'connect'; from: number; to: number; rate: number; inflight: number }
  /** Drop `count` random connected clients abruptly and reconnect them at once (flash reconnect). */
  | { type: 'churn'; count: number }
  /** Close every socket and exit. */
  | { type: 'close' };

/** One second of a worker's counters (deltas since its last report, except `connected`). */
export interface WorkerStats {
  type: 'stats';
  worker: number;
  connected: number;
  connects: number;
  connectFails: number;
  /** Connections lost after auth, not asked for by a churn. */
  drops: number;
  deliveries: number;
  acks: number;
  errors: Record<string, number>;
  /** Push latency (send time in payload -> arrival), sparse histogram. */
  latency: [number, number][];
  /** Connect + auth latency, sparse histogram. */
  connectLatency: [number, number][];
  /** Unicast sequence numbers received (only with trackSeqs). */
  seqs: number[];
}

/** Worker -> parent messages. */
export type WorkerEvent =
  | { type: 'ready'; worker: number }
  | WorkerStats
  /** Every client of this worker connected at the time got broadcast n. Times: ms since the epoch. */
  | { type: 'broadcastDone'; worker: number; n: number; count: number; first: number; last: number }
  /** A connect command settled: connected = all live clients of the worker, failed = of that range. */
  | { type: 'connectDone'; worker: number; connected: number; failed: number }
  | { type: 'closed'; worker: number };

/** Parent -> pusher. */
export type PusherCommand =
  | { type: 'init'; centerUrl: string; app: string; apiKey: string; devicePrefix: string; devices: number; qos: 0 | 1; ttl: number; inflight: number }
  /** Push at `rate` per second for `durationMs`, seq numbers from `firstSeq`. */
  | { type: 'run'; rate: number; durationMs: number; firstSeq: number }
  | { type: 'close' };

/** Pusher -> parent, every reportMs and at the end of a run (`final`). */
export interface PusherStats {
  type: 'pusher';
  sent: number;
  accepted: number;
  failed: number;
  errors: Record<string, number>;
  /** HTTP request latency, sparse histogram. */
  latency: [number, number][];
  /** Sequence numbers the center accepted (2xx), for the loss check. */
  acceptedSeqs: number[];
  final: boolean;
  nextSeq: number;
  /** Run start to the last answer, ms (set on the final report). */
  elapsedMs: number;
}

export const payloadBytes = 12;

/**
 * How often workers and the pusher report their counters, ms. Four reports in each of the
 * monitor's one-second rows: with one report a second, the two unsynchronised timers put two
 * reports in one row and none in the next now and then, which drew false zeros in the charts.
 */
export const reportMs = 250;

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The push payload: send time and sequence number. */
export function encodePayload(seq: number, at = epochMs()): Buffer {
  const b = Buffer.allocUnsafe(payloadBytes);
  b.writeDoubleLE(at, 0);
  b.writeUInt32LE(seq >>> 0, 8);
  return b;
}

/** Reads a payload; null when the bytes are not one of ours. */
export function decodePayload(bytes: Uint8Array): { at: number; seq: number } | null {
  if (bytes.length !== payloadBytes) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return { at: v.getFloat64(0, true), seq: v.getUint32(8, true) };
}

/** Adds n to map[key]. */
export function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}
