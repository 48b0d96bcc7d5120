import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Session } from '../../shared/contracts/register';
import { type FanoutTask, QueueTopics, decodeTask } from '../../shared/contracts/tasks';
import { APP2, type Harness, type HarnessOptions, sharedDeps, startCenter, until } from './test-kit';

async function withCenter(fn: (h: Harness) => Promise<void>, opts?: HarnessOptions): Promise<void> {
  const h = await startCenter(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const session = (device: string, roomId: string): Session => ({ app: 'app1', device, roomId, connId: `c-${device}`, since: 1 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const deliveries = (h: Pick<Harness, 'rooms'>): number => h.rooms.batches.reduce((n, b) => n + b.batch.length, 0);

describe('center: scheduled pushes', () => {
  test('fires not before sendAt, then is a normal push', () =>
    withCenter(async (h) => {
      await h.sessions.register([session('d1', 'r1')]);
      const sendAt = Date.now() + 400;
      const res = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['d1', 'd2'] }, payload: 'later', ttl: 60 });
      assert.equal(res.status, 202);
      const sched = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['d1', 'd2'] }, payload: 'later', ttl: 60, sendAt });
      assert.equal(sched.status, 202);
      assert.deepEqual(sched.body, { id: sched.body.id, sendAt });
      const st = await h.call('GET', `/v1/apps/app1/messages/${sched.body.id}`);
      assert.deepEqual([st.body.state, st.body.targets], ['scheduled', 0]);
      await until('the immediate push', () => h.rooms.batches.length === 1);
      await until('the scheduled push', () => h.rooms.batches.length === 2, 3000);
      assert.ok(Date.now() >= sendAt, 'not before sendAt');
      const m = h.rooms.batches[1].batch[0].message;
      assert.equal(m.id, sched.body.id);
      assert.deepEqual([m.created, m.expires], [sendAt, sendAt + 60_000], 'created at sendAt, ttl from then');
      const after = await h.call('GET', `/v1/apps/app1/messages/${sched.body.id}`);
      assert.deepEqual([after.body.state, after.body.targets], ['pending', 2]);
      assert.deepEqual((await h.saver.pending('app1', 'd2')).map((x) => x.id), [res.body.id, sched.body.id]);
      const late = await h.call('DELETE', `/v1/apps/app1/messages/${sched.body.id}`);
      assert.equal(late.status, 409);
      assert.equal(late.body.error.code, 'not_cancellable');
    }));

  test('an ISO-8601 sendAt works for a broadcast', () =>
    withCenter(async (h) => {
      const sendAt = new Date(Date.now() + 300).toISOString();
      const res = await h.call('POST', '/v1/apps/app1/messages', { to: { all: true }, payload: 1, sendAt });
      assert.equal(res.status, 202);
      assert.equal(res.body.sendAt, Date.parse(sendAt));
      const got: FanoutTask[] = [];
      const c = h.queue.consume(QueueTopics.fanout, 'test-room', async (msgs) => {
        for (const m of msgs) {
          got.push(decodeTask<FanoutTask>(m.body));
          await m.finish();
        }
      }, { maxInFlight: 1, timeoutMs: 5000 });
      try {
        await until('the fan-out task', () => got.length === 1, 3000);
      } finally {
        await c.stop();
      }
      assert.ok(Date.now() >= Date.parse(sendAt));
      assert.deepEqual([got[0].message.id, got[0].seq], [res.body.id, 1]);
    }));

  test('a cancelled push never fires; cancel answers 200 twice, 404 unknown or another app', () =>
    withCenter(async (h) => {
      await h.sessions.register([session('d1', 'r1')]);
      const res = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['d1'] }, payload: 1, sendAt: Date.now() + 300 });
      assert.equal((await h.call('DELETE', `/v1/apps/app2/messages/${res.body.id}`, undefined, APP2.apiKeys[0])).status, 404);
      const del = await h.call('DELETE', `/v1/apps/app1/messages/${res.body.id}`);
      assert.equal(del.status, 200);
      assert.deepEqual(del.body, { id: res.body.id, state: 'cancelled' });
      assert.equal((await h.call('DELETE', `/v1/apps/app1/messages/${res.body.id}`)).status, 200);
      await sleep(600);
      assert.equal(h.rooms.batches.length, 0);
      assert.deepEqual(await h.saver.pending('app1', 'd1'), []);
      assert.equal((await h.call('GET', `/v1/apps/app1/messages/${res.body.id}`)).body.state, 'cancelled');
      const unknown = await h.call('DELETE', '/v1/apps/app1/messages/00000000000000000000000000000000');
      assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'unknown_message']);
      assert.equal((await h.call('DELETE', `/v1/apps/app1/messages/${'x'.repeat(65)}`)).body.error.code, 'bad_id');
      const now = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['d1'] }, payload: 1 });
      assert.equal((await h.call('DELETE', `/v1/apps/app1/messages/${now.body.id}`)).status, 409, 'not a scheduled push');
    }));
});

describe('center: paced pushes', () => {
  test('a broadcast to 100 devices at rate 50 takes about 2 s; each online device once, with its log seq', () =>
    withCenter(async (h) => {
      const online = Array.from({ length: 100 }, (_, i) => session(`p${i}`, i % 2 ? 'r2' : 'r1'));
      await h.sessions.register([...online, { ...session('other-app', 'r1'), app: 'app2' }]);
      const started = Date.now();
      const res = await h.call('POST', '/v1/apps/app1/messages', { to: { all: true }, payload: 'slow', rate: 50 });
      assert.equal(res.status, 202);
      await until('100 deliveries', () => deliveries(h) >= 100, 8000);
      const took = Date.now() - started;
      assert.ok(took >= 1800, `took ${took} ms, faster than the rate`);
      assert.ok(took < 6000, `took ${took} ms`);
      const all = h.rooms.batches.flatMap((b) => b.batch);
      assert.equal(new Set(all.map((d) => d.device)).size, 100);
      assert.ok(all.every((d) => d.app === 'app1' && d.message.id === res.body.id && d.log === '' && d.seq === 1));
      // Never more than ceil(50 / 10) = 5 deliveries per 100 ms tick.
      assert.ok(h.rooms.batches.every((b) => b.batch.length <= 5));
      assert.equal((await h.saver.logSince('app1', 'offline', ['']))[0]?.message.id, res.body.id, 'logged for offline devices');
      await until('the task finished', () => h.logs.some((l) => l.msg === 'paced push done'));
    }));

  test('a paced topic push reaches online subscribers only; a paced tag push stores for offline tagged devices', () =>
    withCenter(async (h) => {
      await h.sessions.register(['s1', 's2', 's3', 'x'].map((d) => session(d, 'r1')));
      for (const d of ['s1', 's2', 's3', 'off']) await h.sessions.subscribe('app1', d, ['news']);
      await h.sessions.unregister([{ app: 'app1', device: 's3', connId: 'c-s3' }]);
      const topic = await h.call('POST', '/v1/apps/app1/messages', { to: { topic: 'news' }, payload: 1, rate: 1000, qos: 0 });
      assert.equal(topic.status, 202);
      await until('two deliveries', () => deliveries(h) === 2, 3000);
      const got = h.rooms.batches.flatMap((b) => b.batch);
      assert.deepEqual(got.map((d) => d.device).sort(), ['s1', 's2']);
      assert.ok(got.every((d) => d.log === undefined && d.seq === undefined), 'qos 0: not logged');

      h.rooms.batches.length = 0;
      for (const d of ['s1', 'off']) await h.sessions.setTags('app1', d, ['vip']);
      const tag = await h.call('POST', '/v1/apps/app1/messages', { to: { tags: ['vip'] }, payload: 1, rate: 10 });
      await until('one delivery', () => deliveries(h) === 1, 3000);
      assert.equal(h.rooms.batches[0].batch[0].device, 's1');
      assert.deepEqual((await h.saver.pending('app1', 'off')).map((m) => m.id), [tag.body.id]);
    }));

  test('stop() interrupts a paced push at once and another center carries on', async () => {
    const shared = await sharedDeps();
    const a = await startCenter({ shared });
    let b: Harness | undefined;
    try {
      await shared.sessions.register(Array.from({ length: 50 }, (_, i) => session(`q${i}`, 'r1')));
      assert.equal((await a.call('POST', '/v1/apps/app1/messages', { to: { all: true }, payload: 1, rate: 10 })).status, 202);
      await until('a first delivery', () => deliveries(shared) > 0);
      const t0 = Date.now();
      await a.close();
      assert.ok(Date.now() - t0 < 1000, 'stop did not wait for the whole paced push');
      assert.ok(a.logs.some((l) => l.msg === 'paced push interrupted by stop, requeued'));
      const before = deliveries(shared);
      b = await startCenter({ shared });
      await until('the other center delivers', () => deliveries(shared) > before, 3000);
    } finally {
      await a.close();
      await b?.close();
      await shared.close();
    }
  });
});
