import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createLogger } from '../../../shared/log/log';
import type { SessionStore } from '../../../shared/contracts/register';
import { testRedisUrl, uniquePrefix } from '../../../shared/testing/env';
import { deleteKeysWithPrefix } from '../../../shared/testing/redis-wipe';
import { describeSessionStore } from './session-store.contract';
import { describeTagIndex } from './tag-index.contract';
import { createRedisSessionStore } from './redis-session-store';

const prefixes = new WeakMap<SessionStore, string>();
describeSessionStore(
  'redis',
  (opts) => {
    const prefix = uniquePrefix('sess');
    const store = createRedisSessionStore({ redisUrl: testRedisUrl(), prefix, ...opts });
    prefixes.set(store, prefix);
    return store;
  },
  async (store) => {
    const prefix = prefixes.get(store);
    if (!prefix) throw new Error('not a store of this test');
    assert.ok((await deleteKeysWithPrefix(testRedisUrl(), prefix)) > 0, 'the store had keys to lose');
    return store;
  },
);
describeTagIndex('redis', () => createRedisSessionStore({ redisUrl: testRedisUrl(), prefix: uniquePrefix('tags') }));

test('redis: keys carry TTLs and stale room refs are dropped by listRoom', async () => {
  const prefix = uniquePrefix('sess');
  const store = createRedisSessionStore({ redisUrl: testRedisUrl(), prefix, sessionTtlSeconds: 60, userTtlSeconds: 120 });
  const redis = new Redis(testRedisUrl());
  try {
    await store.ready();
    await store.register([{ app: 'a', device: 'd1', connId: 'c1', roomId: 'r1', since: 1, user: 'u' }]);
    const sessTtl = await redis.pttl(`${prefix}s:1:a:d1`);
    const userTtl = await redis.pttl(`${prefix}u:1:a:u`);
    assert.ok(sessTtl > 50_000 && sessTtl <= 60_000, `session ttl ${sessTtl}`);
    assert.ok(userTtl > 110_000 && userTtl <= 120_000, `user ttl ${userTtl}`);
    assert.ok((await redis.pttl(`${prefix}r:r1`)) > 50_000);
    // The session vanishes behind the index's back (e.g. expiry): listRoom cleans up.
    await redis.del(`${prefix}s:1:a:d1`);
    assert.deepEqual(await store.listRoom('r1'), []);
    assert.equal(await redis.hlen(`${prefix}r:r1`), 0);
  } finally {
    await store.close();
    await redis.quit();
  }
});

test('redis: ready() rejects when Redis does not answer', async () => {
  const store = createRedisSessionStore({ redisUrl: 'redis://127.0.0.1:1', prefix: uniquePrefix('sess'), log: createLogger({}, 'error') });
  try {
    await assert.rejects(store.ready(300));
  } finally {
    await store.close();
  }
});

test('redis: tags and subscriptions are kept two-way without TTLs; a closed store rejects', async () => {
  const prefix = uniquePrefix('tags');
  const store = createRedisSessionStore({ redisUrl: testRedisUrl(), prefix, sessionTtlSeconds: 60 });
  const redis = new Redis(testRedisUrl());
  try {
    await store.setTags('a', 'd1', ['vip', 'cn']);
    await store.subscribe('a', 'd1', ['news']);
    for (const key of ['dt:1:a:d1', 'tg:1:a:vip', 'tg:1:a:cn', 'ds:1:a:d1', 'tp:1:a:news']) {
      assert.equal(await redis.pttl(prefix + key), -1, `${key} exists without a TTL`);
    }
    await store.setTags('a', 'd1', ['cn']);
    await store.unsubscribe('a', 'd1', ['news']);
    assert.equal(await redis.exists(prefix + 'tg:1:a:vip', prefix + 'ds:1:a:d1', prefix + 'tp:1:a:news'), 0, 'emptied sets are gone');
    assert.deepEqual(await redis.smembers(prefix + 'tg:1:a:cn'), ['d1']);
  } finally {
    await store.close();
    await redis.quit();
  }
  await assert.rejects(store.tagsOf('a', 'd1'), /closed/);
  await assert.rejects(store.devicesByTags('a', ['cn'], 'or', '', 5), /closed/);
});
