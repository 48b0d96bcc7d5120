/**
 * The NSQ-style queue. A message published to a topic is copied to every channel of the topic;
 * the consumers of one channel share its messages. A delivered message must be finished,
 * requeued (optionally with a delay) or touched before the channel's timeout, else it is
 * delivered again. Attempts are counted; past maxAttempts the message is published to the
 * dead-letter topic `<topic>.dead` instead of being delivered. maxInFlight per consumer is
 * the flow control. Deferred messages are delivered at a time and can be cancelled before.
 *
 * Channels: a channel exists from its first consume() on. Messages published while a topic has
 * no channel are kept (bounded by the backend's topic length) and go to the first channel
 * created; a channel created later starts at the next message. An ephemeral channel starts at
 * the next message and vanishes (with what it holds) when its last consumer stops.
 */
export interface QueueMessage {
  readonly id: string;
  readonly topic: string;
  readonly body: Uint8Array;
  /** Deliveries so far including this one: 1 on the first. */
  readonly attempts: number;
  /** Publish time, ms since the Unix epoch. */
  readonly timestamp: number;
  /** Done: never delivered again on this channel. */
  finish(): Promise<void>;
  /** Deliver again after delayMs (default 0), counting an attempt. */
  requeue(delayMs?: number): Promise<void>;
  /** Resets this delivery's timeout. */
  touch(): Promise<void>;
}

export interface ConsumeOptions {
  /** Most messages delivered to this consumer and not yet finished/requeued (NSQ's RDY). */
  maxInFlight: number;
  /** An unfinished, untouched delivery is redelivered after this, ms. */
  timeoutMs: number;
  /** Deliveries before the message goes to `<topic>.dead` (default 5). */
  maxAttempts?: number;
  ephemeral?: boolean;
}

/**
 * Gets messages in batches: up to maxInFlight at once, so a room can publish a whole batch in
 * one event-loop turn. A handler that throws requeues the batch's unfinished messages.
 */
export type QueueHandler = (messages: QueueMessage[]) => void | Promise<void>;

export interface Consumer {
  /** Stops taking messages; in-flight ones not finished are redelivered after their timeout. */
  stop(): Promise<void>;
}

export interface ChannelStats {
  channel: string;
  /** Waiting to be delivered. */
  depth: number;
  inFlight: number;
  /** Requeued with a delay, not yet due. */
  deferred: number;
  requeued: number;
  timedOut: number;
  finished: number;
  consumers: number;
  ephemeral: boolean;
}

export interface TopicStats {
  topic: string;
  /** Published so far (or the stream length, for the Redis backend). */
  messages: number;
  /** Deferred publishes not yet due. */
  deferred: number;
  channels: ChannelStats[];
}

export interface Queue {
  /** Publishes in order; answers the ids. */
  publish(topic: string, bodies: Uint8Array[]): Promise<string[]>;
  /**
   * Publishes to be delivered at deliverAt (ms since the Unix epoch). id: the caller's id for
   * the message (e.g. the push's id, to cancel it by), unique per topic; default a new one.
   */
  publishDeferred(topic: string, body: Uint8Array, deliverAt: number, id?: string): Promise<string>;
  /** Removes a deferred message not yet due; false when it already fired or is unknown. */
  cancelDeferred(topic: string, id: string): Promise<boolean>;
  consume(topic: string, channel: string, handler: QueueHandler, opts: ConsumeOptions): Consumer;
  stats(): Promise<TopicStats[]>;
  close(): Promise<void>;
}
