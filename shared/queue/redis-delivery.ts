import type { QueueMessage } from './queue';

/** One delivery; stale once finished, requeued or past its local deadline. */
export interface Flight {
  readonly key: string;
  readonly stream: string;
  readonly sid: string;
  readonly id: string;
  readonly body: Uint8Array;
  readonly timestamp: number;
  readonly attempts: number;
  deadline: number;
}

/** A stream entry as read: which stream, its id, fields, and attempts (deliveries incl. this one). */
export interface Read {
  stream: string;
  sid: string;
  fields: Buffer[];
  attempts: number;
}

/** What settles a delivery: its consumer. */
export interface FlightOwner {
  finish(f: Flight): Promise<void>;
  requeue(f: Flight, delayMs: number): Promise<void>;
  touch(f: Flight): Promise<void>;
}

/** A Redis stream entry as the handler sees it. */
export class Delivery implements QueueMessage {
  constructor(private readonly c: FlightOwner, private readonly f: Flight, readonly topic: string) {}
  get id(): string {
    return this.f.id;
  }
  get body(): Uint8Array {
    return this.f.body;
  }
  get attempts(): number {
    return this.f.attempts;
  }
  get timestamp(): number {
    return this.f.timestamp;
  }
  finish(): Promise<void> {
    return this.c.finish(this.f);
  }
  requeue(delayMs = 0): Promise<void> {
    return this.c.requeue(this.f, delayMs);
  }
  touch(): Promise<void> {
    return this.c.touch(this.f);
  }
}
