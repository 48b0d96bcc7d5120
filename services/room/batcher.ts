/**
 * Collects the items of one event-loop turn and hands them to flush in ONE call on the next
 * turn (setImmediate), so many frames or closes in a burst cost one downstream call. No timer
 * while idle. flush owns its errors; a rejection that escapes it goes to onError.
 */
export interface TickBatcher<T> {
  push(item: T): void;
  /** Resolves once everything pushed so far has been flushed (for stop()). */
  flushed(): Promise<void>;
}

export function createTickBatcher<T>(flush: (items: T[]) => Promise<void>, onError: (err: unknown) => void): TickBatcher<T> {
  let items: T[] = [];
  // The run that will take the items pushed now; every run until its flush settles.
  let pending: Promise<void> | undefined;
  const running = new Set<Promise<void>>();

  async function run(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const batch = items;
    items = [];
    pending = undefined;
    try {
      await flush(batch);
    } catch (err) {
      onError(err);
    }
  }

  return {
    push(item) {
      items.push(item);
      if (pending) return;
      const p = run().finally(() => running.delete(p));
      running.add(p);
      pending = p;
    },
    async flushed() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
