/**
 * Coalesces the calls made in one event-loop turn into one call of `run` on every caller's
 * items, concatenated in call order (up to maxItems per run; more go in further runs of the
 * same turn). `run` answers one result per item, in order; each caller gets its own slice.
 * When a run of several callers fails, each caller's items are run again on their own, so one
 * caller's bad input (or an unlucky moment) only fails that caller.
 *
 * Why: each call into Redis costs a command object, a timer and a Lua invocation however few
 * items it carries; under load one turn holds many small calls (one push, one ack), and one
 * call carrying all of them costs little more than one of them.
 */
export type Coalesced<I, O> = (items: I[]) => Promise<O[]>;

interface Caller<I, O> {
  items: I[];
  resolve: (out: O[]) => void;
  reject: (err: unknown) => void;
}

export function createCoalescer<I, O>(run: (items: I[]) => Promise<O[]>, maxItems = 1000): Coalesced<I, O> {
  let queue: Caller<I, O>[] = [];
  let scheduled = false;

  async function runAlone(c: Caller<I, O>): Promise<void> {
    try {
      c.resolve(await run(c.items));
    } catch (err) {
      c.reject(err);
    }
  }

  async function runTogether(callers: Caller<I, O>[]): Promise<void> {
    if (callers.length === 1) return runAlone(callers[0]);
    let out: O[];
    try {
      out = await run(callers.flatMap((c) => c.items));
    } catch {
      // Who failed it is unknown: every caller runs again alone and settles with its own run.
      await Promise.all(callers.map(runAlone));
      return;
    }
    let at = 0;
    for (const c of callers) {
      c.resolve(out.slice(at, at + c.items.length));
      at += c.items.length;
    }
  }

  function flush(): void {
    scheduled = false;
    const all = queue;
    queue = [];
    let group: Caller<I, O>[] = [];
    let n = 0;
    for (const c of all) {
      if (n > 0 && n + c.items.length > maxItems) {
        void runTogether(group);
        group = [];
        n = 0;
      }
      group.push(c);
      n += c.items.length;
    }
    if (group.length > 0) void runTogether(group);
  }

  return (items) => {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      queue.push({ items, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}
