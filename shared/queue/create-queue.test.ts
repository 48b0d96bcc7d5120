import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createQueue } from './create-queue';

test('createQueue: memory works, an unknown driver or a redis driver without URL throws', async () => {
  const q = createQueue({ driver: 'memory' });
  assert.deepEqual(await q.publish('t', []), []);
  await q.close();
  assert.throws(() => createQueue({ driver: 'nsq' as 'memory' }), /unknown driver "nsq"/);
  assert.throws(() => createQueue({ driver: 'redis' }), /redisUrl/);
});
