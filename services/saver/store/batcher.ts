/**
 * Coalesces concurrent calls into one run: items added within one event-loop turn (or until
 * maxItems are queued) go to `run` together, and each caller's promise settles with that run.
 * At most `concurrency` runs are in flight; items arriving meanwhile wait and go together in
 * the next run, so load turns into bigger batches instead of more statements.
 */
export interface Batcher<T> {
  add(items: T[]): Promise<void>;
  /** Resolves when everything added so far has been run (failures included). */
  drain(): Promise<void>;
}

interface Job<T> {
  items: T[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createBatcher<T>(opts: { maxItems: number; concurrency: number; run: (items: T[]) => Promise<void> }): Batcher<T> {
  let queue: Job<T>[] = [];
  let queued = 0;
  let inFlight = 0;
  let scheduled = false;
  const idle: (() => void)[] = [];

  const flush = (): void => {
    scheduled = false;
    while (queue.length > 0 && inFlight < opts.concurrency) {
      // Take whole jobs up to maxItems (a single bigger job goes alone; run() chunks it).
      let n = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || n + queue[take].items.length <= opts.maxItems)) n += queue[take++].items.length;
      const jobs = queue.slice(0, take);
      queue = queue.slice(take);
      queued -= n;
      void runJobs(jobs);
    }
  };

  const runJobs = async (jobs: Job<T>[]): Promise<void> => {
    inFlight++;
    const items = jobs.length === 1 ? jobs[0].items : jobs.flatMap((j) => j.items);
    try {
      await opts.run(items);
      for (const j of jobs) j.resolve();
    } catch (err) {
      for (const j of jobs) j.reject(err);
    } finally {
      inFlight--;
      if (queue.length > 0) flush();
      else if (inFlight === 0) idle.splice(0).forEach((f) => f());
    }
  };

  return {
    add(items) {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ items, resolve, reject });
        queued += items.length;
        if (queued >= opts.maxItems) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((r) => idle.push(r));
    },
  };
}
