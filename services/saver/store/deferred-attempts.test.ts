import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDeferredAttempts } from './deferred-attempts';
import type { AttemptRow } from './durable-inbox';

const row = (device: string, first: boolean): AttemptRow => ({ app: 'a', device, id: 'm1', first });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('held rows are written once the delay has passed, repeats as one row per attempt', async () => {
  const written: AttemptRow[][] = [];
  const d = createDeferredAttempts(30, async (rows) => void written.push(rows));
  const p = d.add([row('x', true), row('x', false), row('y', true)]);
  await sleep(5);
  assert.equal(written.length, 0, 'nothing is written before the delay');
  assert.equal(d.held(), 2);
  await sleep(60); // the delay timer is unref'd: something else keeps the test's loop alive
  await p;
  assert.deepEqual(written, [[row('x', true), row('x', false), row('y', true)]]);
  assert.equal(d.held(), 0);
});

test('an ack takes its rows out and says whether a first attempt was among them', async () => {
  const written: AttemptRow[][] = [];
  const d = createDeferredAttempts(30, async (rows) => void written.push(rows));
  const p = d.add([row('x', true), row('y', false)]);
  assert.deepEqual(d.take([{ app: 'a', device: 'x', id: 'm1' }, { app: 'a', device: 'y', id: 'm1' }, { app: 'a', device: 'z', id: 'm1' }]), [true, false, false]);
  await sleep(60);
  await p;
  assert.deepEqual(written, [], 'every row was taken: no write');
});

test('flush writes everything at once; a failed write rejects its callers', async () => {
  let fail = false;
  const written: AttemptRow[][] = [];
  const d = createDeferredAttempts(60_000, async (rows) => {
    if (fail) throw new Error('mysql down');
    written.push(rows);
  });
  const ok = d.add([row('x', true)]);
  await d.flush();
  await ok;
  assert.deepEqual(written, [[row('x', true)]]);
  fail = true;
  const bad = d.add([row('y', true)]);
  await d.flush();
  await assert.rejects(bad, /mysql down/);
});
