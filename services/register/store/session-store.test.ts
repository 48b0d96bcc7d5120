import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSessionStore } from './session-store';

test('createSessionStore throws on an unknown driver or a missing redisUrl', () => {
  assert.throws(() => createSessionStore({ driver: 'mongo' as never }), /unknown driver "mongo"/);
  assert.throws(() => createSessionStore({ driver: 'redis' }), /redisUrl/);
  assert.throws(() => createSessionStore({ driver: 'memory', sessionTtlSeconds: -1 }), /sessionTtlSeconds/);
});

test('createSessionStore memory driver is ready at once and works', async () => {
  const s = createSessionStore({ driver: 'memory' });
  await s.ready();
  await s.register([{ app: 'a', device: 'd', connId: 'c', roomId: 'r', since: 0 }]);
  assert.equal((await s.listRoom('r')).length, 1);
  await s.close();
});
