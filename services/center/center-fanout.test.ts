import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Session } from '../../shared/contracts/register';
import { type FanoutTask, QueueTopics, decodeTask } from '../../shared/contracts/tasks';
import type { Queue } from '../../shared/queue/queue';
import { ADMIN, APP2, type Harness, type HarnessOptions, sharedDeps, startCenter, until, untilAsync } from './test-kit';

async function withCenter(fn: (h: Harness) => Promise<void>, opts?: HarnessOptions): Promise<void> {
  const h = await startCenter(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const session = (device: string, roomId: string): Session => ({ app: 'app1', device, roomId, connId: `c-${device}`, since: 1 });

/** Consumes n fan-out tasks as a room would (its own channel), then stops. */
async function fanoutTasks(queue: Queue, n: number): Promise<FanoutTask[]> {
  const got: FanoutTask[] = [];
  const c = queue.consume(
    QueueTopics.fanout,
    'test-room',
    async (msgs) => {
      for (const m of msgs) {
        got.push(decodeTask<FanoutTask>(m.body));
        await m.finish();
      }
    },
    { maxInFlight: 10, timeoutMs: 5000 },
  );
  try {
    await until(`${n} fan-out tasks`, () => got.length >= n);
  } finally {
    await c.stop();
  }
  return got;
}

/** Every device handed to a room so far, as room:device. */
const delivered = (h: Harness): string[] => h.rooms.batches.flatMap((b) => b.batch.map((d) => `${b.roomId}:${d.device}`)).sort();

describe('center: broadcast and topic pushes', () => {
  test('qos 1: logged with a seq, one fan-out task each', () =>
    withCenter(async (h) => {
      const b1 = await h.call('POST', '/v1/apps/app1/messages', { to: { all: true }, payload: 'one' });
      assert.equal(b1.status, 202);
      assert.deepEqual(Object.keys(b1.body), ['id']);
      const t1 = await h.call('POST', '/v1/apps/app1/messages', { to: { topic: 'news' }, payload: 'two', ttl: 60 });
      const b2 = await h.call('POST', '/v1/apps/app1/messages', { to: { all: true }, payload: 'three' });
      const tasks = await fanoutTasks(h.queue, 3);
      assert.deepEqual(
        tasks.map((t) => [t.message.id, t.log, t.seq, t.message.kind, t.message.topic]),
        [
          [b1.body.id, '', 1, 'broadcast', undefined],
          [t1.body.id, 'news', 1, 'topic', 'news'],
          [b2.body.id, '', 2, 'broadcast', undefined],
        ],
      );
      assert.equal(Buffer.from(tasks[1].message.payload).toString(), '"two"');
      assert.equal(tasks[1].message.expires - tasks[1].message.created, 60_000);
      const log = await h.saver.logSince('app1', 'someone', ['', 'news']);
      assert.deepEqual(log.map((e) => [e.log, e.seq, e.message.id]), [['', 1, b1.body.id], ['', 2, b2.body.id], ['news', 1, t1.body.id]]);
      const st = await h.call('GET', `/v1/apps/app1/messages/${t1.body.id}`);
      assert.deepEqual([st.body.kind, st.body.state], ['topic', 'pending']);
      assert.equal(h.rooms.batches.length, 0, 'fan-out goes through the queue, not deliver()');
    }));

  test('qos 0 and ttl 0: not logged, fan-out with seq 0, status done', () =>
    withCenter(async (h) => {
      const q0 = await h.call('POST', '/v1/apps/app1/messages', { to: { all: true }, payload: 1, qos: 0 });
      const t0 = await h.call('POST', '/v1/apps/app1/messages', { to: { topic: 'live' }, payload: 1, ttl: 0 });
      assert.equal(q0.status, 202);
      const tasks = await fanoutTasks(h.queue, 2);
      assert.deepEqual(tasks.map((t) => [t.message.id, t.log, t.seq, t.message.qos]), [[q0.body.id, '', 0, 0], [t0.body.id, 'live', 0, 1]]);
      assert.deepEqual(await h.saver.logSince('app1', 'someone', ['', 'live']), []);
      assert.equal((await h.call('GET', `/v1/apps/app1/messages/${q0.body.id}`)).body.state, 'done');
    }));
});

describe('center: tags', () => {
  test('PUT tags, GET device shows them, bad bodies are refused', () =>
    withCenter(async (h) => {
      const put = await h.call('PUT', '/v1/apps/app1/devices/d1/tags', { tags: ['vip', 'beta', 'vip'] });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, { device: 'd1', tags: ['vip', 'beta'] });
      assert.deepEqual((await h.call('GET', '/v1/apps/app1/devices/d1')).body.tags.sort(), ['beta', 'vip']);
      assert.deepEqual((await h.call('GET', '/v1/apps/app2/devices/d1', undefined, APP2.apiKeys[0])).body.tags, [], 'tags are per app');
      for (const body of [{}, [], { tags: 'vip' }, { tags: [''] }, { tags: [7] }, { tags: ['x'.repeat(129)] }, { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, { tags: [], more: 1 }]) {
        const res = await h.call('PUT', '/v1/apps/app1/devices/d1/tags', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error.code, /^bad_(tags|request)$/, JSON.stringify(body));
      }
      assert.deepEqual((await h.call('PUT', '/v1/apps/app1/devices/d1/tags', { tags: [] })).body.tags, []);
      assert.deepEqual((await h.call('GET', '/v1/apps/app1/devices/d1')).body.tags, []);
      assert.equal((await h.call('PUT', '/v1/apps/app1/devices/d1/tags', { tags: [] }, '')).status, 401);
    }));

  test('tag push: "or" reaches devices with any tag, "and" only those with all; offline ones get it stored', () =>
    withCenter(async (h) => {
      const tags: Record<string, string[]> = { a: ['x'], b: ['x', 'y'], c: ['y'], d: ['z'], e: ['y', 'x'] };
      for (const [device, t] of Object.entries(tags)) assert.equal((await h.call('PUT', `/v1/apps/app1/devices/${device}/tags`, { tags: t })).status, 200);
      await h.sessions.register([session('a', 'r1'), session('b', 'r2'), session('c', 'r1'), session('d', 'r1')]);
      const or = await h.call('POST', '/v1/apps/app1/messages', { to: { tags: ['x', 'y'] }, payload: 'or' });
      assert.equal(or.status, 202);
      assert.equal(or.body.targets, 4);
      await until('three deliveries', () => delivered(h).length === 3);
      assert.deepEqual(delivered(h), ['r1:a', 'r1:c', 'r2:b']);
      assert.equal(h.rooms.batches[0].batch[0].message.kind, 'tag');
      for (const d of ['a', 'b', 'c', 'e']) assert.deepEqual((await h.saver.pending('app1', d)).map((m) => m.id), [or.body.id], d);
      assert.deepEqual(await h.saver.pending('app1', 'd'), []);

      h.rooms.batches.length = 0;
      const and = await h.call('POST', '/v1/apps/app1/messages', { to: { tags: ['x', 'y'], mode: 'and' }, payload: 'and' });
      assert.equal(and.body.targets, 2);
      await until('one delivery', () => delivered(h).length === 1);
      assert.deepEqual(delivered(h), ['r2:b']);
      assert.deepEqual((await h.saver.pending('app1', 'e')).map((m) => m.id), [or.body.id, and.body.id]);
      assert.deepEqual((await h.saver.pending('app1', 'a')).map((m) => m.id), [or.body.id]);
      const st = await h.call('GET', `/v1/apps/app1/messages/${and.body.id}`);
      assert.deepEqual([st.body.kind, st.body.targets], ['tag', 2]);

      const none = await h.call('POST', '/v1/apps/app1/messages', { to: { tags: ['nobody'] }, payload: 1 });
      assert.equal(none.body.targets, 0);
      assert.deepEqual([(await h.call('GET', `/v1/apps/app1/messages/${none.body.id}`)).body.targets], [0]);
    }));

  test('tag pages are sliced by multicastChunk', () =>
    withCenter(
      async (h) => {
        for (const d of ['t1', 't2', 't3', 't4', 't5']) await h.sessions.setTags('app1', d, ['all']);
        await h.sessions.register(['t1', 't2', 't3', 't4', 't5'].map((d) => session(d, 'r1')));
        const res = await h.call('POST', '/v1/apps/app1/messages', { to: { tags: ['all'] }, payload: 1 });
        assert.equal(res.body.targets, 5);
        await until('five deliveries', () => delivered(h).length === 5);
        const stats = (await h.queue.stats()).find((t) => t.topic === QueueTopics.multicast);
        assert.equal(stats?.messages, 3, 'slices of 2, 2 and 1');
      },
      { config: { multicastChunk: 2 } },
    ));
});

describe('center: long multicasts', () => {
  test('a 10,000-device push is split into 10 slices and completed by two centers', async () => {
    const shared = await sharedDeps();
    const a = await startCenter({ shared });
    const b = await startCenter({ shared });
    try {
      const devices = Array.from({ length: 10_000 }, (_, i) => `m${i}`);
      // Every other device is online, spread over both rooms.
      await shared.sessions.register(devices.filter((_, i) => i % 2 === 0).map((d, i) => session(d, i % 2 ? 'r2' : 'r1')));
      const res = await a.call('POST', '/v1/apps/app1/messages', { to: { devices }, payload: 'many' });
      assert.equal(res.status, 202);
      assert.equal(res.body.targets, 10_000);
      await until('5,000 deliveries', () => shared.rooms.batches.reduce((n, x) => n + x.batch.length, 0) >= 5000, 10_000);
      const finished = async (h: Harness): Promise<number> => {
        const m = /herald_center_tasks_total\{topic="herald.multicast",outcome="finished"\} (\d+)/.exec((await h.call('GET', '/metrics')).body);
        return m ? Number(m[1]) : 0;
      };
      await untilAsync('10 slices finished', async () => (await finished(a)) + (await finished(b)) === 10);
      const [na, nb] = [await finished(a), await finished(b)];
      assert.equal(na + nb, 10);
      assert.ok(na > 0 && nb > 0, `both centers took slices (${na} and ${nb})`);
      const seen = new Map<string, number>();
      for (const x of shared.rooms.batches) for (const d of x.batch) seen.set(d.device, (seen.get(d.device) ?? 0) + 1);
      assert.equal(seen.size, 5000);
      assert.ok([...seen.values()].every((n) => n === 1), 'each online device once');
      for (const d of ['m0', 'm1', 'm4999', 'm9999']) assert.deepEqual((await shared.saver.pending('app1', d)).map((m) => m.id), [res.body.id], d);
      assert.equal((await shared.saver.status('app1', res.body.id))?.targets, 10_000);
    } finally {
      await a.close();
      await b.close();
      await shared.close();
    }
  });

  test('a user push over multicastChunk devices goes in slices; up to it, directly', () =>
    withCenter(
      async (h) => {
        const users = ['u1', 'u2', 'u3', 'u4'];
        await h.sessions.register(users.flatMap((u) => [0, 1].map((i) => ({ ...session(`${u}-${i}`, 'r1'), user: u }))));
        const small = await h.call('POST', '/v1/apps/app1/messages', { to: { users: ['u1'] }, payload: 1 });
        assert.equal(small.body.targets, 2);
        const big = await h.call('POST', '/v1/apps/app1/messages', { to: { users }, payload: 1 });
        assert.equal(big.body.targets, 8);
        await until('ten deliveries', () => delivered(h).length === 10);
        const stats = (await h.queue.stats()).find((t) => t.topic === QueueTopics.multicast);
        assert.equal(stats?.messages, 3, 'the big push only: slices of 3, 3, 2');
      },
      { config: { multicastChunk: 3, lookupBatch: 2 } },
    ));

  test('a slice whose store fails is retried, then completed', () => {
    let failures = 0;
    return withCenter(
      async (h) => {
        await h.sessions.register([session('s1', 'r1'), session('s2', 'r1'), session('s3', 'r2')]);
        const res = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['s1', 's2', 's3'] }, payload: 1 });
        assert.equal(res.status, 202);
        await until('three deliveries', () => delivered(h).length === 3, 3000);
        assert.equal(failures, 1);
        assert.ok(h.logs.some((l) => l.msg === 'queue task failed, requeued'));
        assert.deepEqual(delivered(h), ['r1:s1', 'r1:s2', 'r2:s3']);
      },
      {
        config: { multicastChunk: 2, taskRetryDelayMs: 50 },
        saver: (real) => ({
          ...real,
          store: async (m, targets) => {
            if (targets.length === 2 && failures === 0) {
              failures++;
              throw new Error('saver hiccup');
            }
            return real.store(m, targets);
          },
        }),
      },
    );
  });

  test('a malformed task is dead-lettered, not retried', () =>
    withCenter(async (h) => {
      await h.queue.publish(QueueTopics.multicast, [Buffer.from('not json'), Buffer.from('{"message":{"payload":"AA==","id":"x","app":"app1","kind":"unicast","created":1,"expires":0,"qos":0},"devices":5}')]);
      await until('two dead letters', () => h.logs.filter((l) => l.msg === 'bad queue task, dead-lettered').length === 2);
      const dead = (await h.queue.stats()).find((t) => t.topic === `${QueueTopics.multicast}.dead`);
      assert.equal(dead?.messages, 2);
    }));
});

describe('center: admin queue stats', () => {
  test('GET /v1/admin/queues lists topics and channels, admin token only', () =>
    withCenter(async (h) => {
      await h.call('POST', '/v1/apps/app1/messages', { to: { all: true }, payload: 1 });
      const res = await h.call('GET', '/v1/admin/queues', undefined, ADMIN);
      assert.equal(res.status, 200);
      const byName = new Map<string, { messages: number; channels: { channel: string; consumers: number }[] }>(
        res.body.topics.map((t: { topic: string }) => [t.topic, t]),
      );
      assert.equal(byName.get(QueueTopics.fanout)?.messages, 1);
      for (const t of [QueueTopics.multicast, QueueTopics.scheduled, QueueTopics.paced]) {
        assert.deepEqual(byName.get(t)?.channels.map((c) => [c.channel, c.consumers]), [['centers', 1]], t);
      }
      assert.equal((await h.call('GET', '/v1/admin/queues')).status, 401);
    }));
});
