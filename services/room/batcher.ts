import { turnBatch } from '../../shared/batching/turn-batch';

/**
 * Collects the items of one event-loop turn and hands them to flush in ONE call on the next
 * turn (turnBatch), so many frames or closes in a burst cost one downstream call. No timer
 * while idle. flush owns its errors; a rejection that escapes it goes to onError.
 */
export interface TickBatcher<T> {
  push(item: T): void;
  /** Resolves once everything pushed so far has been flushed (for stop()). */
  flushed(): Promise<void>;
}

export function createTickBatcher<T>(flush: (items: T[]) => Promise<void>, onError: (err: unknown) => void): TickBatcher<T> {
  // Every flush until it settles.
  const running = new Set<Promise<void>>();
  const batch = turnBatch<T>((items) => {
    const p: Promise<void> = flush(items)
      .catch(onError)
      .finally(() => running.delete(p));
    running.add(p);
  });
  return {
    push: (item) => batch.add(item),
    async flushed() {
      // What a flush pushes meanwhile goes too.
      for (;;) {
        batch.flush();
        if (running.size === 0) return;
        await Promise.all(running);
      }
    },
  };
}
