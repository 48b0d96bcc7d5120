/** Something with a deadline the sweeper watches (a connection's state). */
export interface Sweepable {
  /** Milliseconds on the caller's clock (the room's: shared/lifecycle/clock.ts); moving it later needs no call (checked lazily). */
  deadline: number;
  /** Bucket the item sits in, -1 when not in the sweeper (owned by the sweeper). */
  bucket: number;
}

/**
 * Deadlines in time buckets of tickMs (a lazy timing wheel): one timer for all items, no timer
 * or closure per item. An item stays in the bucket of the deadline it had when added; when that
 * bucket comes due, an item whose deadline has moved later is moved to its new bucket, and an
 * item whose deadline has passed is handed to onExpire (and leaves the sweeper).
 */
export interface Sweeper<T extends Sweepable> {
  add(item: T): void;
  remove(item: T): void;
  /** Expires everything due at now; called by the room's tick timer. */
  sweep(now: number): void;
  size(): number;
}

export function createSweeper<T extends Sweepable>(tickMs: number, onExpire: (item: T) => void): Sweeper<T> {
  const buckets = new Map<number, Set<T>>();
  let count = 0;
  // Buckets below this index have been swept; an item due in the past goes to this one. The
  // first sweep walks the buckets' keys (any clock: nothing assumes Date.now()).
  let next = 0;

  function add(item: T): void {
    if (item.bucket >= 0) remove(item);
    const index = Math.max(Math.floor(item.deadline / tickMs), next);
    let set = buckets.get(index);
    if (!set) buckets.set(index, (set = new Set()));
    set.add(item);
    item.bucket = index;
    count++;
  }

  function remove(item: T): void {
    if (item.bucket < 0) return;
    const set = buckets.get(item.bucket);
    if (set?.delete(item)) {
      count--;
      if (set.size === 0) buckets.delete(item.bucket);
    }
    item.bucket = -1;
  }

  function sweepBucket(index: number, now: number, expired: T[]): void {
    const set = buckets.get(index);
    if (!set) return;
    buckets.delete(index);
    for (const item of set) {
      item.bucket = -1;
      count--;
      if (item.deadline <= now) expired.push(item);
      else add(item);
    }
  }

  function sweep(now: number): void {
    const last = Math.floor(now / tickMs);
    const first = next;
    // Set before walking so an item re-added with a later deadline lands in a future bucket.
    next = last + 1;
    const expired: T[] = [];
    // Walk every bucket index that came due; after a long pause (event-loop stall, laptop sleep)
    // walk the map's keys instead of a possibly huge range of empty indexes.
    if (last - first > buckets.size) {
      for (const index of [...buckets.keys()]) if (index <= last) sweepBucket(index, now, expired);
    } else {
      for (let i = first; i <= last; i++) sweepBucket(i, now, expired);
    }
    for (const item of expired) onExpire(item);
  }

  return { add, remove, sweep, size: () => count };
}
