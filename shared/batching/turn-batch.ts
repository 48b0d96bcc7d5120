/**
 * Collects items until the end of this event-loop turn (setImmediate), then sends them in one
 * go: one downstream call or message per turn, however many items. No timer while idle. The
 * saver thread's calls and replies use it directly; the room's TickBatcher builds on it.
 */
export interface TurnBatch<T> {
  add(item: T): void;
  /** Sends what was collected now (e.g. before a message that must come after it). */
  flush(): void;
}

export function turnBatch<T>(send: (items: T[]) => void): TurnBatch<T> {
  let items: T[] = [];
  const flush = (): void => {
    if (items.length === 0) return;
    const out = items;
    items = [];
    send(out);
  };
  return {
    add(item) {
      items.push(item);
      if (items.length === 1) setImmediate(flush);
    },
    flush,
  };
}
