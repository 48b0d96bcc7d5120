/**
 * The room's clock for the times it keeps per connection (heartbeat and auth deadlines, the
 * rate limit's refill, slow-consumer marks, grace and moved entries): milliseconds since a day
 * before this module loaded. Date.now() is beyond the small integers V8 stores in an object's
 * field as they are, so every such field held a boxed number of its own (16 B; measured 2 per
 * connection). These stay small integers for the first 23 days of a process; after that they
 * are boxed again, which costs memory, not correctness. Starting a day in makes a zero field
 * ("never") read as a day ago, as it did with Date.now().
 */
const origin = Date.now() - 86_400_000;

/**
 * Now on the room's clock, ms. Math.floor makes it a small integer: a difference of two
 * numbers from Date.now() is a boxed number however whole its value.
 */
export function roomNow(): number {
  return Math.floor(Date.now() - origin);
}
