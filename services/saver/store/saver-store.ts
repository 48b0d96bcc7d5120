import type { MessageState, SaverService } from '../../../shared/contracts/saver';

/**
 * A saver backend (memory, or Redis + MySQL). Inputs are already validated by the saver.
 * Semantics are those of SaverService; a store also owns its connections and cleanup.
 */
export interface SaverStore extends SaverService {
  /** Connects and prepares (migrations, recovery); throws a clear Error on a bad URL. */
  start(): Promise<void>;
  /** Releases connections; safe to call twice. */
  close(): Promise<void>;
  /** Removes at most `batch` expired inbox entries (and stale status records); returns how many. */
  cleanup(now: number, batch: number): Promise<number>;
}

/** Options every store shares (a subset of SaverConfig). */
export interface StoreOptions {
  maxAttempts: number;
  pendingLimit: number;
  statusRetentionMs: number;
}

/** True for a message that gets no inbox entry: qos 0 or expires == 0 ("online only"). */
export function onlineOnly(m: { qos: number; expires: number }): boolean {
  return m.qos === 0 || m.expires === 0;
}

/** How a status record differs from a plain push: a scheduled/cancelled push, or a log message. */
export interface StatusExtras {
  /** Set while a sendAt push has not fired (cleared by store/appendLog). */
  state?: 'scheduled' | 'cancelled';
  /** A broadcast/topic log message: no targets, 'pending' until it expires. */
  logged?: boolean;
}

/** A status record's state at `now`. */
export function stateOf(
  m: { qos: number; expires: number },
  counts: { targets: number; acked: number; deadLettered: number },
  now: number,
  extras: StatusExtras = {},
): MessageState {
  if (extras.state) return extras.state;
  if (extras.logged) return now >= m.expires ? 'expired' : 'pending';
  if (onlineOnly(m)) return 'done';
  if (counts.acked + counts.deadLettered >= counts.targets) return 'done';
  return now >= m.expires ? 'expired' : 'pending';
}

/** When a status record may be forgotten (a scheduled one: counted from sendAt too). */
export function keepUntil(m: { created: number; expires: number }, retentionMs: number, sendAt = 0): number {
  return Math.max(m.created, m.expires, sendAt) + retentionMs;
}

/** The log a broadcast/topic message belongs to: '' = the app's broadcasts, else its topic. */
export function logOf(m: { topic?: string }): string {
  return m.topic ?? '';
}
