import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createLogger } from '../log/log';
import { testRedisUrl, uniquePrefix } from '../testing/env';
import { deleteKeysWithPrefix } from '../testing/redis-wipe';
import { createRoomRegistry } from './create-room-registry';
import { describeRoomRegistry } from './room-registry.contract';

describeRoomRegistry('redis', () => createRoomRegistry({ driver: 'redis', redisUrl: testRedisUrl(), prefix: uniquePrefix('rooms') }));

test('redis room registry forgets expired ids and skips malformed entries', async () => {
  const prefix = uniquePrefix('rooms');
  const reg = createRoomRegistry({ driver: 'redis', redisUrl: testRedisUrl(), prefix, log: createLogger({}, 'error') });
  const redis = new Redis(testRedisUrl());
  try {
    await reg.announce({ id: 'r1', urls: ['ws://h/ws'], zone: '', networks: [], connections: 0, capacity: 1, draining: false }, 100);
    await redis.set(`${prefix}room:bad`, '{not json');
    await redis.sadd(`${prefix}rooms`, 'bad');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await reg.list(), []);
    assert.deepEqual(await redis.smembers(`${prefix}rooms`), ['bad']);
  } finally {
    await redis.del(`${prefix}room:bad`, `${prefix}rooms`);
    await reg.close();
    await redis.quit();
  }
});

test('redis room registry lists rooms again once they re-announce after the keys were lost', async () => {
  const prefix = uniquePrefix('rooms');
  const reg = createRoomRegistry({ driver: 'redis', redisUrl: testRedisUrl(), prefix, log: createLogger({}, 'error') });
  const room = (id: string) => ({ id, urls: [`ws://h/${id}`], zone: 'z', networks: [], connections: 1, capacity: 10, draining: false });
  try {
    await reg.announce(room('r1'), 10_000);
    await reg.announce(room('r2'), 10_000);
    assert.equal((await reg.list()).length, 2);
    assert.ok((await deleteKeysWithPrefix(testRedisUrl(), prefix)) >= 3, 'the set and both room keys');
    assert.deepEqual(await reg.list(), [], 'nothing listed while no room has announced again');
    await reg.announce(room('r2'), 10_000);
    assert.deepEqual((await reg.list()).map((r) => r.id), ['r2']);
    await reg.withdraw('r1');
    await reg.announce(room('r1'), 10_000);
    assert.deepEqual((await reg.list()).map((r) => r.id).sort(), ['r1', 'r2']);
  } finally {
    await reg.close();
    await deleteKeysWithPrefix(testRedisUrl(), prefix);
  }
});

test('createRoomRegistry throws on an unknown driver or a missing redisUrl', () => {
  assert.throws(() => createRoomRegistry({ driver: 'etcd' as never }), /unknown driver "etcd"/);
  assert.throws(() => createRoomRegistry({ driver: 'redis' }), /redisUrl/);
  assert.equal(typeof createRoomRegistry({ driver: 'memory' }).list, 'function');
});
