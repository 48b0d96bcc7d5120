import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../../shared/log/log';
import type { QueueMessage } from '../../shared/queue/queue';
import { createRedisQueue } from '../../shared/queue/redis-queue';
import { createRoomRegistry } from '../../shared/room-registry/create-room-registry';
import { startRedis } from '../../shared/testing/test-services';
import { createRedisSessionStore } from './store/redis-session-store';

const log = createLogger({ component: 'redis-data-loss-test' }, 'error');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const session = { app: 'app1', device: 'd1', connId: 'c1', roomId: 'r1', since: 1, user: 'u1' };
const room = { id: 'r1', urls: ['ws://127.0.0.1:1/ws'], zone: 'z', networks: [], connections: 1, capacity: 100, draining: false };

// On a private Redis: FLUSHALL (and SCRIPT FLUSH, as a replaced server would be) is allowed here.
test('FLUSHALL during a run: new epoch, the queue keeps delivering, the room is listed again', async () => {
  const server = await startRedis();
  const admin = new Redis(server.url);
  const store = createRedisSessionStore({ redisUrl: server.url, prefix: 'herald:', log });
  const queue = createRedisQueue({ url: server.url, prefix: 'herald:', log });
  const registry = createRoomRegistry({ driver: 'redis', redisUrl: server.url, prefix: 'herald:', log });
  // What a room does: announce every few hundred ms with a TTL of a few announces.
  const announcer = setInterval(() => void registry.announce(room, 2000).catch(() => undefined), 300);
  // Each room consumes its own channel of the fan-out topic: r1 an ephemeral one (as rooms do), r2 a durable one.
  const got: Record<string, string[]> = { r1: [], r2: [] };
  const consumers = Object.keys(got).map((r) =>
    queue.consume('broadcast', `room-${r}`, async (ms: QueueMessage[]) => {
      for (const m of ms) got[r].push(new TextDecoder().decode(m.body));
      await Promise.all(ms.map((m) => m.finish()));
    }, { maxInFlight: 100, timeoutMs: 5000, ephemeral: r === 'r1' }),
  );
  const everyone = (body: string) => () => got.r1.includes(body) && got.r2.includes(body);
  try {
    await registry.announce(room, 2000);
    assert.deepEqual(await store.register([session]), []);
    const before = await store.epoch();
    await queue.publish('broadcast', [enc('m1')]);
    await eventually('m1', everyone('m1'));

    await admin.flushall();
    await admin.script('FLUSH');

    const after = await store.epoch();
    assert.notEqual(after, before, 'the epoch changed');
    assert.equal(await store.epoch(), after);
    assert.deepEqual(await store.lookupDevices('app1', ['d1']), [], 'sessions are gone until re-flushed');
    // A room's re-flush: its live sessions registered again work as before.
    assert.deepEqual(await store.register([session]), []);
    assert.deepEqual(await store.lookupDevices('app1', ['d1']), [session]);
    assert.deepEqual(await store.userDevices('app1', ['u1']), [{ user: 'u1', device: 'd1' }]);

    await queue.publish('broadcast', [enc('m2'), enc('m3')]);
    await sleep(200);
    await queue.publish('broadcast', [enc('m4')]);
    await eventually('m2, m3 and m4 after the flush', () => ['m2', 'm3', 'm4'].every((b) => everyone(b)()));
    await eventually('the room listed after its next announce', async () => (await registry.list()).some((r) => r.id === 'r1'), 2000);
    assert.deepEqual(got, { r1: ['m1', 'm2', 'm3', 'm4'], r2: ['m1', 'm2', 'm3', 'm4'] }, 'each room gets each message once');
  } finally {
    clearInterval(announcer);
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all([queue.close(), store.close(), registry.close()]);
    await admin.quit();
    await server.stop();
  }
});
