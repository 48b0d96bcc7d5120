import type { ConsumeOptions } from './queue';

/** Deliveries before a message is dead-lettered, when ConsumeOptions.maxAttempts is not given. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Messages a topic keeps (the Redis stream's approximate MAXLEN; the memory backlog's cap). */
export const DEFAULT_MAX_LEN = 100_000;

/** The dead-letter topic of a topic. */
export function deadTopic(topic: string): string {
  return `${topic}.dead`;
}

const NAME = /^[^\s{}]{1,200}$/;

/** Topic and channel names: 1-200 characters, no whitespace, no braces (Redis keys wrap the topic in {}). */
export function checkTopic(topic: unknown): void {
  if (typeof topic !== 'string' || !NAME.test(topic)) {
    throw new Error(`queue: bad topic name ${JSON.stringify(topic)}: want 1-200 characters, no whitespace or braces`);
  }
}

export function checkPublish(topic: unknown, bodies: unknown): void {
  checkTopic(topic);
  if (!Array.isArray(bodies)) throw new Error('queue: bodies must be an array of Uint8Array');
  for (const b of bodies) {
    if (!(b instanceof Uint8Array)) throw new Error('queue: every body must be a Uint8Array');
  }
}

function positiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Throws a clear error on a bad consume() call. */
export function checkConsume(topic: unknown, channel: unknown, handler: unknown, o: ConsumeOptions | undefined): void {
  checkTopic(topic);
  if (typeof channel !== 'string' || !NAME.test(channel)) {
    throw new Error(`queue: bad channel name ${JSON.stringify(channel)}: want 1-200 characters, no whitespace or braces`);
  }
  if (typeof handler !== 'function') throw new Error('queue: handler must be a function');
  if (!o || typeof o !== 'object') throw new Error('queue: consume options are required');
  if (!positiveInt(o.maxInFlight)) throw new Error('queue: maxInFlight must be a positive integer');
  if (!positiveInt(o.timeoutMs)) throw new Error('queue: timeoutMs must be a positive integer (ms)');
  if (o.maxAttempts !== undefined && !positiveInt(o.maxAttempts)) {
    throw new Error('queue: maxAttempts must be a positive integer');
  }
}
