/**
 * The process clock for times kept per connection or per session (the room's deadlines, rate
 * limit and slow-consumer marks, grace and moved entries; the memory register's entries): ms
 * since a day before this module loaded. Date.now() is beyond the small integers V8 stores in
 * an object's field as they are, so every such field held a boxed number of its own (16 B;
 * measured 2 per connection in the room, 2 per session in the memory register). These stay
 * small integers for the first 23 days of a process; after that they are boxed again, which
 * costs memory, not correctness. Starting a day in makes a zero field ("never") read as a day
 * ago, as it did with Date.now().
 */
const origin = Date.now() - 86_400_000;

/**
 * Now on the process clock, ms. Math.floor makes it a small integer: a difference of two
 * numbers from Date.now() is a boxed number however whole its value.
 */
export function clockNow(): number {
  return Math.floor(Date.now() - origin);
}

/** An epoch time (ms since 1970) on the process clock. */
export function toClock(epochMs: number): number {
  return Math.floor(epochMs - origin);
}

/** A process-clock time back as ms since the epoch. */
export function fromClock(t: number): number {
  return t + origin;
}
