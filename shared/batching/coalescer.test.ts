import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCoalescer } from './coalescer';

test('calls of one turn go in one run; each caller gets its own answers', async () => {
  const runs: number[][] = [];
  const double = createCoalescer<number, number>(async (items) => {
    runs.push(items);
    return items.map((x) => 2 * x);
  });
  const [a, b, c] = await Promise.all([double([1, 2]), double([3]), double([])]);
  assert.deepEqual([a, b, c], [[2, 4], [6], []]);
  assert.deepEqual(runs, [[1, 2, 3]], 'one run for the turn; an empty call never reaches run');
  assert.deepEqual(await double([5]), [10]);
  assert.equal(runs.length, 2, 'a later turn gets a run of its own');
});

test('maxItems splits a turn into several runs, whole callers each', async () => {
  const runs: number[][] = [];
  const echo = createCoalescer<number, number>(async (items) => (runs.push(items), items), 3);
  const out = await Promise.all([echo([1, 2]), echo([3, 4]), echo([5])]);
  assert.deepEqual(out, [[1, 2], [3, 4], [5]]);
  assert.deepEqual(runs, [[1, 2], [3, 4, 5]]);
});

test('a failed run of several callers is retried per caller: only the bad one fails', async () => {
  let runs = 0;
  const check = createCoalescer<string, string>(async (items) => {
    runs++;
    if (items.includes('bad')) throw new Error('bad item');
    return items.map((s) => s.toUpperCase());
  });
  const results = await Promise.allSettled([check(['a']), check(['bad']), check(['c'])]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual((results[0] as PromiseFulfilledResult<string[]>).value, ['A']);
  assert.match(String((results[1] as PromiseRejectedResult).reason), /bad item/);
  assert.equal(runs, 4, 'the shared run, then one per caller');
  await assert.rejects(check(['bad']), /bad item/, 'a lone caller fails with its own error');
});
