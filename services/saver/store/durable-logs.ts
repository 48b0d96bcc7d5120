import type { LogEntry, Message } from '../../../shared/contracts/saver';
import type { StoredMessage } from './durable-inbox';

/** A log message with its counters, as needed to rebuild Redis. */
export interface LoggedMessage extends StoredMessage {
  log: string;
  seq: number;
}

/** One device's watermark in one log, needed until keepUntil (the log's latest expiry then). */
export interface WatermarkRow {
  app: string;
  device: string;
  log: string;
  seq: number;
  keepUntil: number;
}

/** A log's last seq and the latest expiry of its entries. */
export interface LogHeadRow {
  app: string;
  log: string;
  seq: number;
  maxExpires: number;
}

/** A watermark move to write; `counted` adds one ack to message id's status. */
export interface WatermarkWrite extends WatermarkRow {
  id: string;
  counted: boolean;
}

/**
 * The durable copy of the broadcast/topic logs, watermarks and scheduled states (MySQL).
 * Writes are coalesced across concurrent callers and resolve once committed.
 */
export interface DurableLogs {
  /** Stores the entry, its status row (targets 0, logged, not scheduled) and the log's head. */
  appendLog(entry: LogEntry, keepUntil: number): Promise<void>;
  /** Raises watermarks (coalesced per device and log, keeping the max) and counts the acks. */
  watermarks(rows: WatermarkWrite[]): Promise<void>;
  /** Adds to the delivered counts of messages. */
  countDelivered(counts: { app: string; id: string; delivered: number }[]): Promise<void>;
  /** Records a 'scheduled' status (targets 0). */
  schedule(message: Message, keepUntil: number): Promise<void>;
  /** Drops a scheduled/cancelled state: the push fired. */
  clearState(app: string, id: string): Promise<void>;
  /** 'scheduled' -> 'cancelled'; false when it was not scheduled. */
  cancel(app: string, id: string): Promise<boolean>;
  /** Every log head after the given (app, log), by key, at most limit. */
  scanLogHeads(after: [string, string], limit: number): Promise<LogHeadRow[]>;
  /** Unexpired log entries after the given (app, log, seq), by key, at most limit. */
  scanLogs(after: [string, string, number], now: number, limit: number): Promise<LoggedMessage[]>;
  /** Watermarks still needed after the given (app, device, log), by key, at most limit. */
  scanWatermarks(after: [string, string, string], now: number, limit: number): Promise<WatermarkRow[]>;
  /** Deletes at most batch expired log entries and stale watermarks; returns how many entries. */
  cleanupLogs(now: number, batch: number): Promise<number>;
  /** Waits for queued writes. */
  drainLogs(): Promise<void>;
}
