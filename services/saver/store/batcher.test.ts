import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatcher } from './batcher';

test('calls within one tick share one run; each caller settles with its run', async () => {
  const runs: number[][] = [];
  const b = createBatcher<number>({ maxItems: 100, concurrency: 2, run: async (items) => void runs.push(items) });
  await Promise.all([b.add([1, 2]), b.add([3]), b.add([4, 5])]);
  assert.deepEqual(runs, [[1, 2, 3, 4, 5]]);
});

test('maxItems splits runs; queued calls wait for a free slot and then go together', async () => {
  const runs: number[][] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const b = createBatcher<number>({
    maxItems: 3,
    concurrency: 1,
    run: async (items) => {
      runs.push(items);
      await gate;
    },
  });
  const first = b.add([1, 2, 3]);
  const rest = [b.add([4]), b.add([5]), b.add([6, 7])];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(runs, [[1, 2, 3]], 'one run in flight at concurrency 1');
  release();
  await Promise.all([first, ...rest]);
  assert.deepEqual(runs, [[1, 2, 3], [4, 5], [6, 7]]);
});

test('a failed run rejects every caller in it and later runs still work; drain waits', async () => {
  let fail = true;
  const b = createBatcher<string>({
    maxItems: 10,
    concurrency: 4,
    run: async () => {
      if (fail) throw new Error('boom');
    },
  });
  const results = await Promise.allSettled([b.add(['a']), b.add(['b'])]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  const p = b.add(['c']);
  await b.drain();
  await p;
  await b.add([]);
});
