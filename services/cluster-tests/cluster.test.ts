import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, connectDevice, push, sleep, startTestCluster, text, waitFor, type TestCluster, type TestDevice } from './cluster-kit';

/**
 * The cluster end to end: 2 rooms, 2 centers, register, saver, coordinator and dispatcher, each
 * its own process on the test run's Redis and MariaDB, driven through the public API and the SDK.
 * The tests share one cluster and run in order; the failure tests put back what they kill.
 */
describe('cluster', () => {
  let t: TestCluster;
  const devices: TestDevice[] = [];
  before(async () => {
    t = await startTestCluster();
  });
  after(async () => {
    for (const d of devices) d.client.close();
    await t?.stop();
  });

  /** Two devices on each room (connected straight to it), a and c with user u1, a and b subscribed to 'news'. */
  async function spread(tag: string): Promise<TestDevice[]> {
    const [r1, r2] = t.cluster.addresses.rooms;
    const out = await Promise.all([
      connectDevice(t.center(), '', `${tag}-a`, { uid: `${tag}-u1`, urls: [r1] }),
      connectDevice(t.center(), '', `${tag}-b`, { urls: [r1] }),
      connectDevice(t.center(), '', `${tag}-c`, { uid: `${tag}-u1`, urls: [r2] }),
      connectDevice(t.center(), '', `${tag}-d`, { urls: [r2] }),
    ]);
    devices.push(...out);
    return out;
  }

  const got = (d: TestDevice, id: string) => d.pushes.some((m) => m.id === id);

  test('unicast, user, broadcast and topic pushes reach devices on both rooms', async () => {
    const [a, b, c, d] = await spread('p');
    const [r1, r2] = t.cluster.addresses.rooms;
    assert.deepEqual([a, b, c, d].map((x) => x.connects[0].url), [r1, r1, r2, r2]);
    await a.client.subscribe('demo', ['news']);
    await c.client.subscribe('demo', ['news']);

    const uni = await push(t.center(0), { devices: ['p-b', 'p-d'] }, 'unicast');
    const user = await push(t.center(1), { users: ['p-u1'] }, 'user');
    const all = await push(t.center(0), { all: true }, 'broadcast');
    const news = await push(t.center(1), { topic: 'news' }, 'topic');
    await waitFor('every push', () => got(b, uni) && got(d, uni) && got(a, user) && got(c, user) && [a, b, c, d].every((x) => got(x, all)) && got(a, news) && got(c, news));
    await sleep(300);
    assert.equal(got(a, uni) || got(c, uni), false, 'unicast only to its devices');
    assert.equal(got(b, user) || got(d, user), false, 'user push only to the user devices');
    assert.equal(got(b, news) || got(d, news), false, 'topic only to subscribers');
    assert.equal(text(d.pushes.find((m) => m.id === uni)!), '"unicast"');
    const status = await waitFor('acks of the unicast', async () => {
      const r = await api(t.center(1), 'GET', `/v1/apps/demo/messages/${uni}`);
      return r.body.acked === 2 ? r.body : undefined;
    });
    assert.equal(status.targets, 2);
  });

  test('upstream from both rooms reaches the webhook and the reply comes back', async () => {
    const [a, , c] = devices;
    const replies = await Promise.all([a.client.upstream('demo', 'chat', 'from a'), c.client.upstream('demo', 'chat', 'from c')]);
    const echoes = replies.map((r) => JSON.parse(Buffer.from(r.payload).toString('utf8')) as { echo: string });
    assert.deepEqual(echoes.map((e) => Buffer.from(e.echo, 'base64').toString('utf8')), ['from a', 'from c']);
    const rooms = t.hooks.hits.map((h) => `${String(h.body.device)}@${String(h.body.room)}`).sort();
    assert.deepEqual(rooms, ['p-a@room-1', 'p-c@room-2']);
  });

  test('kill -9 of a room mid-stream: its clients move to the other room and get every qos 1 message once', async () => {
    const { rooms, dispatcher } = t.cluster.addresses;
    const ids = Array.from({ length: 12 }, (_, i) => `k-${i}`);
    const devs = await Promise.all(ids.map((id) => connectDevice(t.center(), dispatcher, id)));
    devices.push(...devs);
    const on = (url: string) => devs.filter((d) => d.connects[d.connects.length - 1].url === url);
    assert.ok(on(rooms[0]).length > 0 && on(rooms[1]).length > 0, 'the dispatcher spread the devices over both rooms');
    const victim = on(rooms[0]).length >= on(rooms[1]).length ? 0 : 1;
    const moved = on(rooms[victim]);
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 10) await t.cluster.process(`room-${victim + 1}`).kill('SIGKILL');
      sent.push(await push(t.center(i % 2), { devices: ids }, `m${i}`));
      await sleep(25);
    }
    await waitFor('every message on every device', () => devs.every((d) => sent.every((id) => got(d, id))), 30_000);
    for (const d of devs) {
      const counts = new Map<string, number>();
      for (const m of d.pushes) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
      assert.deepEqual([...counts.values()].filter((n) => n > 1), [], `${d.id} got a message twice`);
    }
    for (const d of moved) assert.equal(d.connects[d.connects.length - 1].url, rooms[1 - victim], `${d.id} moved to the other room`);
    // A center whose directory has not seen the restarted room yet reads the registry again (findRoom).
    await t.cluster.process(`room-${victim + 1}`).start();
    const back = await connectDevice(t.center(), dispatcher, 'k-back', { urls: [rooms[victim]] });
    devices.push(back);
    const id = await push(t.center(1), { devices: ['k-back'] }, 'to the restarted room');
    await waitFor('a push through the restarted room', () => got(back, id));
  });

  test('kill -9 of a center while it splits a 10,000-device multicast: the other center finishes it', async () => {
    const [one, two] = [t.cluster.process('center-1'), t.cluster.process('center-2')];
    const targets = Array.from({ length: 10_000 }, (_, i) => `mc-${i}`);
    let id = '';
    const status = async (i: number) => (await api(t.center(i), 'GET', `/v1/apps/demo/messages/${id}`)).body;
    // center-2 frozen: center-1 alone takes the slices, so what it holds when it dies is provably unfinished.
    two.signal('SIGSTOP');
    try {
      id = await push(t.center(0), { devices: targets }, 'many', { ttl: 600 });
      const before = await waitFor('center-1 under way', async () => {
        const s = await status(0);
        return (s.targets as number) > 0 ? s : undefined;
      });
      await one.kill('SIGKILL');
      assert.ok((before.targets as number) < 10_000, `center-1 was still splitting when killed (${String(before.targets)} targets stored)`);
    } finally {
      two.signal('SIGCONT');
    }
    const done = await waitFor('all 10,000 targets stored by center-2', async () => ((await status(1)).targets === 10_000 ? status(1) : undefined), 40_000);
    assert.equal(done.state, 'pending');
    await one.start();
    assert.equal((await status(0)).targets, 10_000, 'the restarted center reads the same status');
  });

  for (const name of ['register', 'saver', 'coordinator'] as const) {
    test(`a ${name} killed with -9 and started again rejoins: pushes and upstream work again`, async () => {
      const [a, , c] = devices;
      await t.cluster.process(name).kill('SIGKILL');
      await t.cluster.process(name).start();
      const id = await waitFor(`a push accepted after the ${name} restart`, () => push(t.center(1), { devices: [a.id, c.id] }, `after ${name}`).catch(() => undefined));
      await waitFor('the push on both rooms', () => got(a, id) && got(c, id));
      const fresh = await connectDevice(t.center(), t.cluster.addresses.dispatcher, `${name}-new`);
      devices.push(fresh);
      // The other center's channel to the restarted service may still be in its reconnect backoff: the call waits for it.
      const id2 = await push(t.center(0), { devices: [fresh.id] }, 'to a new session');
      await waitFor('the push to a device registered after the restart', () => got(fresh, id2));
      const reply = await waitFor('an upstream reply', () => c.client.upstream('demo', 'chat', `after ${name}`).catch(() => undefined));
      assert.equal(Buffer.from((JSON.parse(Buffer.from(reply.payload).toString('utf8')) as { echo: string }).echo, 'base64').toString('utf8'), `after ${name}`);
    });
  }
});
