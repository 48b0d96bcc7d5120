import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../shared/contracts/apps';
import type { StatusEvent } from '../../shared/contracts/coordinator';
import type { Session } from '../../shared/contracts/register';
import { CloseCode } from '../../shared/protocol/codes';
import { retryDelay } from './retry';
import { type CoordHarness, type WebhookServer, startCoordinator, startWebhookServer, until } from './test-kit';
import { verifyWebhook } from './webhook';

let hooks: WebhookServer;
before(async () => (hooks = await startWebhookServer()));
after(() => hooks.close());

const SECRET = 'secret-of-app-one-0123';
const apps = (): App[] => [
  { id: 'app1', name: 'One', secret: SECRET, apiKeys: ['key-of-app-one-0123'], statusUrl: `${hooks.url}/status`, singleLogin: true },
  { id: 'app2', name: 'Two', secret: 'secret-of-app-two-0123', apiKeys: ['key-of-app-two-0123'] },
];

async function withCoord(fn: (h: CoordHarness) => Promise<void>, config = {}): Promise<void> {
  hooks.hits = [];
  hooks.answer = () => ({ status: 204 });
  const h = await startCoordinator(apps(), config);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const event = (app: string, device: string, online: boolean): StatusEvent => ({ app, device, user: 'u1', roomId: 'r1', online, time: 1_700_000_000_000, reason: online ? 'connect' : 'heartbeat' });
const session = (app: string, device: string, roomId: string, connId: string): Session => ({ app, device, roomId, connId, since: 1 });

describe('coordinator', () => {
  test('starts, stops twice and reports it in metrics', () =>
    withCoord(async (h) => {
      assert.equal(h.coordinator.running(), true);
      assert.match(await h.metrics.metrics(), /herald_coordinator_up 1/);
      await h.coordinator.stop();
      await h.coordinator.stop();
      assert.equal(h.coordinator.running(), false);
      assert.match(await h.metrics.metrics(), /herald_coordinator_up 0/);
    }));

  test('retry delays double from retryBaseMs up to retryMaxMs', () => {
    const c = { retryBaseMs: 500, retryMaxMs: 3000 };
    assert.deepEqual([1, 2, 3, 4, 5, 99].map((n) => retryDelay(c, n)), [500, 1000, 2000, 3000, 3000, 3000]);
  });
});

describe('status callbacks', () => {
  test('batched per app, signed; apps without statusUrl get nothing', () =>
    withCoord(async (h) => {
      await h.coordinator.status([event('app1', 'd1', true), event('app2', 'd9', true), event('app1', 'd2', true)]);
      await h.coordinator.status([event('app1', 'd1', false)]);
      await until('a callback', () => hooks.hits.length === 1);
      await new Promise((r) => setTimeout(r, 80));
      assert.equal(hooks.hits.length, 1, 'one POST for the flush interval');
      const hit = hooks.hits[0];
      assert.equal(verifyWebhook(SECRET, String(hit.headers['x-herald-timestamp']), String(hit.headers['x-herald-signature']), hit.body), true);
      const body = JSON.parse(hit.body);
      assert.equal(body.app, 'app1');
      assert.deepEqual(
        body.events.map((e: { device: string; online: boolean }) => [e.device, e.online]),
        [['d1', true], ['d2', true], ['d1', false]],
      );
      assert.deepEqual(body.events[2], { device: 'd1', user: 'u1', room: 'r1', online: false, time: 1_700_000_000_000, reason: 'heartbeat' });
    }));

  test('a full buffer is sent at once, in batches of statusBatchSize', () =>
    withCoord(
      async (h) => {
        await h.coordinator.status(Array.from({ length: 7 }, (_, i) => event('app1', `d${i}`, true)));
        await until('two callbacks', () => hooks.hits.length === 2, 500);
        assert.deepEqual(hooks.hits.map((x) => JSON.parse(x.body).events.length), [3, 3]);
        await until('the rest at the flush', () => hooks.hits.length === 3);
        assert.equal(JSON.parse(hooks.hits[2].body).events.length, 1);
      },
      { statusBatchSize: 3, statusFlushMs: 300 },
    ));

  test('a failing status URL is retried through the queue with the same id', () =>
    withCoord(async (h) => {
      hooks.answer = (_r, n) => (n < 3 ? { status: 502 } : { status: 200 });
      await h.coordinator.status([event('app1', 'd1', true)]);
      await until('three calls', () => hooks.hits.length === 3);
      assert.equal(new Set(hooks.hits.map((x) => x.headers['x-herald-id'])).size, 1);
      await new Promise((r) => setTimeout(r, 80));
      assert.equal(hooks.hits.length, 3);
      assert.match(await h.metrics.metrics(), /herald_coordinator_status_events_total\{outcome="sent"\} 1/);
    }));

  test('given up after statusMaxAttempts: dropped with a log line and a metric', () =>
    withCoord(
      async (h) => {
        hooks.answer = () => ({ status: 500 });
        await h.coordinator.status([event('app1', 'd1', true), event('app1', 'd2', false)]);
        await until('dropped', () => h.logs.some((l) => l.msg === 'status callback given up, events dropped'));
        assert.equal(hooks.hits.length, 2);
        assert.match(await h.metrics.metrics(), /herald_coordinator_status_events_total\{outcome="dropped"\} 2/);
      },
      { statusMaxAttempts: 2 },
    ));

  test('stop() sends what is still buffered', async () => {
    hooks.hits = [];
    hooks.answer = () => ({ status: 200 });
    const h = await startCoordinator(apps(), { statusFlushMs: 60_000 });
    await h.coordinator.status([event('app1', 'd1', true)]);
    assert.equal(hooks.hits.length, 0);
    await h.close();
    assert.equal(hooks.hits.length, 1);
  });
});

describe('single login', () => {
  test('kicks the old connection with Replaced only for singleLogin apps, one batch per room', () =>
    withCoord(async (h) => {
      await h.coordinator.replaced([
        { now: session('app1', 'd1', 'r2', 'new1'), old: session('app1', 'd1', 'r1', 'old1') },
        { now: session('app1', 'd2', 'r1', 'new2'), old: session('app1', 'd2', 'r1', 'old2') },
        { now: session('app2', 'd3', 'r1', 'new3'), old: session('app2', 'd3', 'r2', 'old3') },
        { now: session('app1', 'd4', 'r1', 'same'), old: session('app1', 'd4', 'r1', 'same') },
        { now: session('app1', 'd5', 'r1', 'new5'), old: session('app1', 'd5', 'gone', 'old5') },
        { now: session('app1', 'd6', 'r1', 'new6'), old: session('app1', 'd6', 'r2', 'old6') },
      ]);
      assert.equal(h.rooms.kicks.length, 2);
      const r1 = h.rooms.kicks.find((k) => k.roomId === 'r1')!;
      assert.deepEqual(h.rooms.kicks.find((k) => k.roomId === 'r2')!.batch.map((k) => k.connId), ['old6']);
      assert.deepEqual(r1.batch, [
        { connId: 'old1', code: CloseCode.Replaced, reason: 'replaced by a new session' },
        { connId: 'old2', code: CloseCode.Replaced, reason: 'replaced by a new session' },
      ]);
      assert.ok(h.logs.some((l) => l.msg === 'kick for a room this process does not know' && l.fields?.room === 'gone'));
      assert.match(await h.metrics.metrics(), /herald_coordinator_replaced_total 3/);
    }));
});

describe('register recovery', () => {
  test('an epoch change reflushes every room once; a failing room is tried again', () =>
    withCoord(async (h) => {
      await new Promise((r) => setTimeout(r, 60));
      assert.deepEqual(h.rooms.reflushes, [], 'the first epoch seen is the baseline');
      h.rooms.failing.add('r2');
      h.register.setEpoch('epoch-2');
      await until('r1 reflushed', () => h.rooms.reflushes.includes('r1'));
      await until('r2 failed at least twice', () => h.logs.filter((l) => l.msg === 'room reflush failed, will retry').length >= 2);
      h.rooms.failing.delete('r2');
      await until('r2 reflushed', () => h.rooms.reflushes.includes('r2'));
      await new Promise((r) => setTimeout(r, 60));
      assert.deepEqual(h.rooms.reflushes.sort(), ['r1', 'r2'], 'each room once');
      assert.match(await h.metrics.metrics(), /herald_coordinator_recoveries_total 1/);
      assert.ok(h.logs.some((l) => l.msg === 'rooms reflushed their sessions into register' && l.fields?.sessions === 3));
    }));

  test('an unreadable epoch changes nothing; the change after it is seen', () =>
    withCoord(async (h) => {
      await new Promise((r) => setTimeout(r, 40));
      h.register.failEpoch = true;
      await until('a warning', () => h.logs.some((l) => l.msg === 'could not read the register epoch'));
      assert.deepEqual(h.rooms.reflushes, []);
      h.register.setEpoch('epoch-3');
      h.register.failEpoch = false;
      await until('both reflushed', () => h.rooms.reflushes.length === 2);
      await until('a log line', () => h.logs.some((l) => l.msg === 'rooms reflushed their sessions into register'));
      assert.equal(h.logs.find((l) => l.msg === 'rooms reflushed their sessions into register')?.fields?.sessions, 6);
    }));
});
