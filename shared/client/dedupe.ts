/** Where a message id stands in the dedupe window. */
export type SeenState = 'new' | 'pending' | 'acked';

/**
 * A bounded window of recently received message ids (insertion order; the oldest is evicted
 * when full), remembering whether each was acked, so a redelivered message is not handed to
 * the application twice and is acked again only if the first copy was.
 */
export interface Dedupe {
  readonly size: number;
  /** State of the id, recording it as 'pending' when new. */
  check(id: string): SeenState;
  /** Marks a remembered id as acked (no-op for ids that were evicted). */
  acked(id: string): void;
  /** Drops the id, so its next delivery counts as new. */
  forget(id: string): void;
  clear(): void;
}

class BoundedDedupe implements Dedupe {
  // Map keeps insertion order, so its first key is the oldest id. Value: acked or not.
  private readonly ids = new Map<string, boolean>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.ids.size;
  }

  check(id: string): SeenState {
    const acked = this.ids.get(id);
    if (acked !== undefined) return acked ? 'acked' : 'pending';
    if (this.capacity === 0) return 'new';
    if (this.ids.size >= this.capacity) {
      const oldest = this.ids.keys().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
    this.ids.set(id, false);
    return 'new';
  }

  acked(id: string): void {
    if (this.ids.has(id)) this.ids.set(id, true);
  }

  forget(id: string): void {
    this.ids.delete(id);
  }

  clear(): void {
    this.ids.clear();
  }
}

/** Creates a window of `capacity` ids (0 disables dedupe). */
export function createDedupe(capacity: number): Dedupe {
  if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('dedupeSize must be an integer >= 0');
  return new BoundedDedupe(capacity);
}
