import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signToken } from '../../shared/auth/jwt';
import { QueueTopics } from '../../shared/contracts/tasks';
import type { TopicStats } from '../../shared/queue/queue';
import { testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { freshMysqlDatabase } from '../../shared/testing/mysql-test-db';
import { demoApp } from './demo-app';
import { api, connectDevice, leanDevices, mintToken, push, sleep, startHerald, waitFor, type TestDevice } from './e2e-kit';
import type { Standalone } from './standalone';

const ADMIN = 'fanout-admin-token-0123456789';
const token = (device: string): string => signToken({ sub: device, app: demoApp.id, exp: Math.floor(Date.now() / 1000) + 3600 }, demoApp.secret);

/** Ids of the pushes a device got, one entry per delivery. */
const got = (d: TestDevice, id: string): number => d.pushes.filter((m) => m.id === id).length;

describe('broadcast, topics and tags on two rooms (Redis + MySQL)', () => {
  let h: Standalone;
  let urls: string[];
  const open: TestDevice[] = [];
  const device = async (name: string, room: number): Promise<TestDevice> => {
    const d = await connectDevice(h, await mintToken(h, name), { url: urls[room] });
    open.push(d);
    return d;
  };

  before(async () => {
    h = await startHerald({
      standalone: { driver: 'redis', redisUrl: testRedisUrl(), mysqlUrl: await freshMysqlDatabase('fanout'), prefix: uniquePrefix('fanout'), rooms: 2, centers: 2 },
      center: { adminToken: ADMIN },
    });
    urls = h.rooms().map((r) => r.urls()[0]);
  });
  after(async () => {
    open.forEach((d) => d.client.close());
    await h?.stop();
  });

  test('a broadcast reaches every online device on both rooms exactly once, and an offline one at connect', async () => {
    const online = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => device(`bc-${i}`, i % 2)));
    const id = await push(h, { all: true }, 'to everyone', { ttl: 600 });
    await waitFor('every online device', () => online.every((d) => got(d, id) === 1));
    await sleep(300);
    assert.deepEqual(online.map((d) => got(d, id)), [1, 1, 1, 1, 1, 1]);
    const late = await device('bc-late', 1);
    await waitFor('the late device', () => got(late, id) === 1);
  });

  test('a broadcast is not delivered after its TTL', async () => {
    const expired = await push(h, { all: true }, 'short-lived', { ttl: 1 });
    await sleep(1300);
    const control = await push(h, { all: true }, 'still valid', { ttl: 600 });
    const late = await device('bc-ttl', 0);
    await waitFor('the control broadcast', () => got(late, control) === 1);
    assert.equal(got(late, expired), 0);
  });

  test('a topic push reaches only the subscribers', async () => {
    const [s1, s2, other] = [await device('tp-1', 0), await device('tp-2', 1), await device('tp-3', 0)];
    await s1.client.subscribe('demo', ['news']);
    await s2.client.subscribe('demo', ['news']);
    const id = await push(h, { topic: 'news' }, 'headline');
    await waitFor('both subscribers', () => got(s1, id) === 1 && got(s2, id) === 1);
    const control = await push(h, { all: true }, 'after the topic push');
    await waitFor('the control broadcast', () => got(other, control) === 1);
    assert.equal(got(other, id), 0);
  });

  test("a tag push with mode 'and' reaches only devices with all the tags", async () => {
    const tags: Record<string, string[]> = { 'tg-ab': ['a', 'b'], 'tg-a': ['a'], 'tg-b': ['b'] };
    const devs: Record<string, TestDevice> = {};
    for (const [name, list] of Object.entries(tags)) {
      devs[name] = await device(name, name === 'tg-a' ? 1 : 0);
      const r = await api(h, 'PUT', `/v1/apps/demo/devices/${name}/tags`, { tags: list });
      assert.ok(r.status < 300, JSON.stringify(r.body));
    }
    const and = await push(h, { tags: ['a', 'b'], mode: 'and' }, 'both tags');
    const or = await push(h, { tags: ['a', 'b'], mode: 'or' }, 'either tag');
    await waitFor('the or push everywhere', () => Object.values(devs).every((d) => got(d, or) === 1));
    assert.equal(got(devs['tg-ab'], and), 1);
    assert.equal(got(devs['tg-a'], and), 0);
    assert.equal(got(devs['tg-b'], and), 0);
  });

  test('a scheduled push arrives at sendAt; a cancelled one never does', async () => {
    const d = await device('sched-1', 1);
    const sendAt = Date.now() + 1500;
    const kept = await push(h, { devices: ['sched-1'] }, 'on time', { sendAt });
    const cancelled = await push(h, { devices: ['sched-1'] }, 'never', { sendAt });
    const del = await api(h, 'DELETE', `/v1/apps/demo/messages/${cancelled}`);
    assert.equal(del.status, 200, JSON.stringify(del.body));
    const arrived = await waitFor('the scheduled push', () => d.pushes.find((m) => m.id === kept), 10_000);
    assert.ok(arrived && Date.now() >= sendAt - 50, 'not before sendAt');
    await sleep(500);
    assert.equal(got(d, cancelled), 0);
    assert.equal((await api(h, 'GET', `/v1/apps/demo/messages/${cancelled}`)).body.state, 'cancelled');
  });

  test('a 1,000-device broadcast with rate 200 takes about 5 s', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `paced-${i}`);
    const lean = await leanDevices(urls, names.map(token));
    try {
      const started = Date.now();
      const id = await push(h, { all: true }, 'paced', { rate: 200, ttl: 600 });
      await waitFor('1,000 deliveries', () => (lean.arrivals.get(id)?.length ?? 0) >= 1000, 20_000);
      const took = Math.max(...lean.arrivals.get(id)!) - started;
      assert.ok(took >= 4500, `took ${took} ms: faster than the rate allows`);
      assert.ok(took < 9000, `took ${took} ms`);
    } finally {
      lean.close();
    }
  });

  test('a 10,000-device multicast is split and completed by the two centers', async () => {
    const devices = Array.from({ length: 10_000 }, (_, i) => `mc-${i}`);
    const online = await Promise.all([0, 2500, 5000, 9999].map((i, k) => device(devices[i], k % 2)));
    const id = await push(h, { devices }, 'to many');
    await waitFor('the online devices', () => online.every((d) => got(d, id) === 1), 20_000);
    const status = await waitFor('all targets stored', async () => {
      const r = await api(h, 'GET', `/v1/apps/demo/messages/${id}`);
      return r.body.targets === 10_000 ? r.body : undefined;
    }, 20_000);
    assert.equal(status.targets, 10_000);
    assert.equal((await h.saver().pending('demo', 'mc-1234')).map((m) => m.id).includes(id), true);
    const res = await fetch(`${h.center().url()}/v1/admin/queues`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const topics = (await res.json()) as { topics?: TopicStats[] } | TopicStats[];
    const list = Array.isArray(topics) ? topics : (topics.topics ?? []);
    const centers = list.find((t) => t.topic === QueueTopics.multicast)?.channels.find((c) => c.channel === 'centers');
    assert.ok(centers, 'the multicast topic has the centers channel');
    assert.equal(centers.consumers, 2, 'both centers consume the slices');
    assert.ok(centers.finished >= 10, `${centers.finished} slices finished`);
  });
});
