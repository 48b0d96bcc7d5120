import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../log/log';
import { testRedisUrl, uniquePrefix } from '../testing/env';
import { deleteKeysWithPrefix } from '../testing/redis-wipe';
import type { QueueMessage } from './queue';
import { createRedisQueue } from './redis-queue';

const log = createLogger({ component: 'redis-queue-loss-test' }, 'error');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('redis queue: consumers recover after the queue keys are lost, on every channel', async () => {
  const prefix = uniquePrefix('qloss');
  const q = createRedisQueue({ url: testRedisUrl(), prefix, log });
  const got: Record<string, string[]> = { a: [], b: [] };
  let held: QueueMessage | undefined;
  const handler = (ch: string) => async (ms: QueueMessage[]) => {
    for (const m of ms) {
      const body = dec(m.body);
      got[ch].push(body);
      // One delivery stays unfinished across the loss: finishing it later must not break anything.
      if (ch === 'a' && body === 'held') held = m;
      else await m.finish();
    }
  };
  const opts = { maxInFlight: 10, timeoutMs: 2000 };
  const ca = q.consume('bcast', 'a', handler('a'), opts);
  const cb = q.consume('bcast', 'b', handler('b'), opts);
  try {
    await sleep(200);
    await q.publish('bcast', [enc('before'), enc('held')]);
    await waitFor('both channels before the loss', () => got.a.length === 2 && got.b.length === 2);
    assert.ok((await deleteKeysWithPrefix(testRedisUrl(), prefix)) > 0);
    // Published at once: the stream exists again, without the channels' groups.
    await q.publish('bcast', [enc('after-0'), enc('after-1')]);
    await sleep(300);
    await q.publish('bcast', [enc('after-2')]);
    const after = (ch: string) => got[ch].filter((x) => x.startsWith('after-')).sort();
    await waitFor('both channels after the loss', () => after('a').length >= 3 && after('b').length >= 3, 8000).catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(got)}`); });
    await held?.finish();
    await sleep(300);
    assert.deepEqual(after('a'), ['after-0', 'after-1', 'after-2']);
    assert.deepEqual(after('b'), ['after-0', 'after-1', 'after-2']);
    const stats = await q.stats();
    const ch = stats.find((s) => s.topic === 'bcast')?.channels.map((c) => c.channel).sort();
    assert.deepEqual(ch, ['a', 'b']);
  } finally {
    await Promise.all([ca.stop(), cb.stop()]);
    await q.close();
    await deleteKeysWithPrefix(testRedisUrl(), prefix);
  }
});
