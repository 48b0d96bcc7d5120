import type { DeadLetter, Delivery, Message, MessageStatus } from '../../../shared/contracts/saver';
import type { DurableLogs } from './durable-logs';

/** One inbox row as the durable copy holds it. */
export interface InboxRow extends Delivery {
  seq: number;
  attempts: number;
  created: number;
  expires: number;
}

/** A stored message with its counters, as needed to rebuild Redis. */
export interface StoredMessage {
  message: Message;
  targets: number;
  delivered: number;
  acked: number;
  deadLettered: number;
  keepUntil: number;
}

/** An attempt to write through: `first` when it was the target's first delivery. */
export interface AttemptRow extends Delivery {
  first: boolean;
}

/**
 * The durable copy behind the Redis inbox (MySQL). Writes are coalesced across concurrent
 * callers; every write resolves once committed and rejects with a clear Error otherwise.
 */
export interface DurableInbox extends DurableLogs {
  start(): Promise<void>;
  /** Waits for queued writes, then closes the pool; safe twice. */
  close(): Promise<void>;
  /** Stores the message, its status row (targets += devices.length) and one inbox row per device. */
  insert(message: Message, devices: string[], keepUntil: number): Promise<void>;
  /** Deletes the inbox rows of these acks; counts `acked` for those marked counted. */
  remove(acks: (Delivery & { counted: boolean })[]): Promise<void>;
  /** Records delivery attempts (attempts += 1; delivered += 1 on a first attempt). */
  attempts(rows: AttemptRow[]): Promise<void>;
  /** Moves inbox rows to dead_letters and counts them in the status. */
  deadLetter(letters: DeadLetter[]): Promise<void>;
  deadLetters(app: string, limit: number): Promise<DeadLetter[]>;
  status(app: string, id: string): Promise<MessageStatus | undefined>;
  /** Unexpired inbox rows with seq > afterSeq, by seq, at most limit. */
  scanInbox(afterSeq: number, now: number, limit: number): Promise<InboxRow[]>;
  /** Messages of one app by id (missing ones left out). */
  messages(app: string, ids: string[]): Promise<StoredMessage[]>;
  /** Deletes at most `batch` expired rows per table; returns how many inbox rows went. */
  cleanup(now: number, batch: number, retentionMs: number): Promise<number>;
}
