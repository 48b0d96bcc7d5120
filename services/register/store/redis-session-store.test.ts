import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createLogger } from '../../../shared/log/log';
import { testRedisUrl, uniquePrefix } from '../../../shared/testing/env';
import { describeSessionStore } from './session-store.contract';
import { createRedisSessionStore } from './redis-session-store';

describeSessionStore('redis', (opts) => createRedisSessionStore({ redisUrl: testRedisUrl(), prefix: uniquePrefix('sess'), ...opts }));

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
