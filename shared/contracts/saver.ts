import type { PushKindName } from '../protocol/codes';
import type { DeviceKey } from './register';

/** A stored push message. Times are milliseconds since the Unix epoch. */
export interface Message {
  id: string;
  app: string;
  kind: PushKindName;
  payload: Uint8Array;
  topic?: string;
  created: number;
  /** When the message stops being delivered; 0 = online only (never stored for later). */
  expires: number;
  qos: 0 | 1;
}

/** One message to one device. */
export interface Delivery extends DeviceKey {
  id: string;
}

/**
 * 'scheduled' until a sendAt push fires, 'cancelled' if it was cancelled first; then as for any
 * push. Broadcast and topic (log) messages stay 'pending' until they expire.
 */
export type MessageState = 'scheduled' | 'cancelled' | 'pending' | 'done' | 'expired';

export interface MessageStatus {
  id: string;
  app: string;
  kind: PushKindName;
  qos: 0 | 1;
  created: number;
  expires: number;
  /** 'done' when every target acked or was dead-lettered (qos 1), or at store time for qos 0. */
  state: MessageState;
  targets: number;
  /** Targets that got it at least once. */
  delivered: number;
  /** Targets that acked it (qos 1). */
  acked: number;
  /** Targets where it was dead-lettered after too many unacked deliveries. */
  deadLettered: number;
}

export interface DeadLetter extends Delivery {
  attempts: number;
  /** Milliseconds since the Unix epoch. */
  at: number;
}

/**
 * The saver: store-then-send. A qos 1 message with expires > 0 sits in each target device's
 * inbox until that device acks it, it expires, or it has been delivered maxAttempts times
 * without an ack (then it moves to the dead letters). A qos 0 message is only counted.
 */
export interface SaverService {
  /** Stores the message for its targets; resolves once it is durable. */
  store(message: Message, targets: DeviceKey[]): Promise<void>;
  /** The device's unacked, unexpired messages, oldest first, at most limit (default 100). */
  pending(app: string, device: string, limit?: number): Promise<Message[]>;
  /**
   * Counts one delivery attempt for each entry, in order. Answers per entry: true = send it;
   * false = do not (dead-lettered by this attempt, already acked, expired or unknown).
   */
  attempt(deliveries: Delivery[]): Promise<boolean[]>;
  /** Removes acked messages from the devices' inboxes; returns how many were pending. */
  ack(acks: Delivery[]): Promise<number>;
  status(app: string, id: string): Promise<MessageStatus | undefined>;
  /** Newest first. */
  deadLetters(app: string, limit?: number): Promise<DeadLetter[]>;

  /**
   * Appends a qos 1 broadcast (message.topic empty) or topic message to its log, kept until it
   * expires; answers its sequence number: 1, 2, ... per app and log. Also creates its status.
   */
  appendLog(message: Message): Promise<number>;
  /**
   * For each log ('' = the app's broadcasts, else a topic): unexpired entries with a seq above
   * the device's watermark for that log, oldest first, at most limit (default 100) per log.
   * A device with no watermark gets every unexpired entry.
   */
  logSince(app: string, device: string, logs: string[], limit?: number): Promise<LogEntry[]>;
  /** Moves devices' watermarks forward to seq (never back); counts one ack on the message. */
  ackLog(acks: LogAck[]): Promise<void>;
  /** Adds to the delivered counts of log messages (a room counts its subscribers at publish). */
  countLogDelivered(counts: { app: string; id: string; delivered: number }[]): Promise<void>;
  /** Records a push that fires at sendAt: status 'scheduled' (targets 0) until store/appendLog. */
  markScheduled(message: Message, sendAt: number): Promise<void>;
  /** A scheduled push that will not fire: 'cancelled'. False when unknown or no longer scheduled. */
  markCancelled(app: string, id: string): Promise<boolean>;
}

/** One message of a broadcast/topic log. */
export interface LogEntry {
  /** '' = broadcast, else the topic. */
  log: string;
  seq: number;
  message: Message;
}

export interface LogAck {
  app: string;
  device: string;
  log: string;
  seq: number;
  /** The message id, for its acked count. */
  id: string;
}
