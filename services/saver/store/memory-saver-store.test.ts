import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemorySaverStore } from './memory-saver-store';

test('memory cleanup removes expired entries in bounded batches and forgets old status', async () => {
  const store = createMemorySaverStore({ maxAttempts: 3, pendingLimit: 100, statusRetentionMs: 1000, deadLetterLimit: 10 });
  const now = Date.now();
  const base = { app: 'a', kind: 'unicast' as const, payload: new Uint8Array(), created: now, qos: 1 as const };
  await store.store({ ...base, id: 'old', expires: now + 20 }, [1, 2, 3].map((i) => ({ app: 'a', device: `d${i}` })));
  await store.store({ ...base, id: 'new', expires: now + 60_000 }, [{ app: 'a', device: 'd1' }]);
  assert.equal(await store.cleanup(now, 10), 0, 'nothing expired yet');
  assert.equal(await store.cleanup(now + 100, 2), 2, 'bounded by the batch');
  assert.equal(await store.cleanup(now + 100, 2), 1);
  assert.equal(await store.cleanup(now + 100, 2), 0);
  assert.deepEqual((await store.pending('a', 'd1')).map((m) => m.id), ['new']);
  assert.equal((await store.status('a', 'old'))?.targets, 3, 'status outlives the inbox entries');
  await store.cleanup(now + 2000, 10);
  assert.equal(await store.status('a', 'old'), undefined, 'status forgotten after retention');
  assert.ok(await store.status('a', 'new'));
});

test('memory dead letters are capped per app, newest first', async () => {
  const store = createMemorySaverStore({ maxAttempts: 1, pendingLimit: 100, statusRetentionMs: 1000, deadLetterLimit: 2 });
  const base = { app: 'a', kind: 'unicast' as const, payload: new Uint8Array(), created: 1, expires: Date.now() + 60_000, qos: 1 as const };
  for (const id of ['m1', 'm2', 'm3']) {
    await store.store({ ...base, id }, [{ app: 'a', device: 'd' }]);
    const d = { app: 'a', device: 'd', id };
    assert.deepEqual(await store.attempt([d, d]), [true, false]);
  }
  assert.deepEqual((await store.deadLetters('a', 10)).map((l) => l.id), ['m3', 'm2']);
});

test('memory log cleanup removes expired entries in bounded batches and forgets stale watermarks', async () => {
  const store = createMemorySaverStore({ maxAttempts: 3, pendingLimit: 100, statusRetentionMs: 1000, deadLetterLimit: 10 });
  const now = Date.now();
  const base = { app: 'a', kind: 'broadcast' as const, payload: new Uint8Array(), created: now, qos: 1 as const };
  for (const id of ['s1', 's2', 's3']) await store.appendLog({ ...base, id, expires: now + 20 });
  await store.ackLog([{ app: 'a', device: 'd', log: '', seq: 3, id: 's3' }]);
  assert.equal(await store.appendLog({ ...base, id: 'long', expires: now + 60_000 }), 4);
  assert.equal(await store.cleanup(now, 10), 0, 'nothing expired yet');
  assert.equal(await store.cleanup(now + 100, 2), 2, 'bounded by the batch');
  assert.equal(await store.cleanup(now + 100, 2), 1, 'the rest; the watermark (kept until s3 expired) is forgotten too');
  assert.deepEqual((await store.logSince('a', 'd', [''])).map((e) => e.seq), [4], 'nothing older comes back');
  assert.equal(await store.appendLog({ ...base, id: 'next', expires: now + 60_000 }), 5, 'seq survives the cleanup');
});
