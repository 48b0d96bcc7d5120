import type { Message } from './saver';

/**
 * Work passed between services through the queue, as JSON (payload in base64).
 * Queue topics: fanout (center -> every room, one ephemeral channel per room), and
 * multicast / scheduled / paced (center -> any center, channel 'centers').
 */
export const QueueTopics = {
  fanout: 'herald.fanout',
  multicast: 'herald.multicast',
  scheduled: 'herald.scheduled',
  paced: 'herald.paced',
} as const;

/** A broadcast or topic message for every room to publish to its local subscribers. */
export interface FanoutTask {
  message: Message;
  /** '' = broadcast, else the topic; seq 0 = not logged (qos 0). */
  log: string;
  seq: number;
}

/** A slice of a long multicast: store for these devices, then deliver to the online ones. */
export interface MulticastTask {
  message: Message;
  devices: string[];
}

/** Who a push goes to, as the HTTP API says it. */
export type PushTarget =
  | { devices: string[] }
  | { users: string[] }
  | { tags: string[]; mode: 'or' | 'and' }
  | { topic: string }
  | { all: true };

/** A push to run at sendAt, or one to pace at rate deliveries per second. */
export interface DeferredPush {
  message: Message;
  to: PushTarget;
  /** Deliveries per second, cluster-wide; 0 = no pacing. */
  rate: number;
}

type Wire<T> = Omit<T, 'message'> & { message: Omit<Message, 'payload'> & { payload: string } };

/** JSON bytes of a task carrying a message. */
export function encodeTask<T extends { message: Message }>(task: T): Uint8Array {
  const wire = { ...task, message: { ...task.message, payload: Buffer.from(task.message.payload).toString('base64') } };
  return Buffer.from(JSON.stringify(wire));
}

/** Parses encodeTask's bytes; throws on anything else (the consumer dead-letters it). */
export function decodeTask<T extends { message: Message }>(bytes: Uint8Array): T {
  const wire = JSON.parse(Buffer.from(bytes).toString('utf8')) as Wire<T>;
  if (!wire || typeof wire !== 'object' || !wire.message || typeof wire.message.payload !== 'string') {
    throw new Error('task has no message');
  }
  return { ...wire, message: { ...wire.message, payload: new Uint8Array(Buffer.from(wire.message.payload, 'base64')) } } as unknown as T;
}
