import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeTask, QueueTopics } from '../../shared/contracts/tasks';
import { PushKind, type ServerFrame } from '../../shared/protocol/codec';
import { ErrorCode } from '../../shared/protocol/codes';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import { createLogger } from '../../shared/log/log';
import { APP, APP2, broadcastMessage, publishFanout, startRoom, TestClient, token, type Harness } from './test-harness';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The next n pushes (other frames skipped). */
async function pushes(c: TestClient, n: number, timeoutMs = 3000): Promise<ServerFrame[]> {
  const out: ServerFrame[] = [];
  while (out.length < n) out.push(await c.nextOf('push', timeoutMs));
  return out;
}

/** Every frame that arrives before the answer to a ping: proves nothing else is on its way. */
async function framesBeforePong(c: TestClient): Promise<ServerFrame[]> {
  c.send({ ping: {} });
  const seen: ServerFrame[] = [];
  for (;;) {
    const f = await c.next();
    if (f.body === 'pong') return seen;
    seen.push(f);
  }
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await sleep(10);
  }
}

/** Waits until the room has published n fan-out tasks to its sockets (after its fan-out window). */
async function fannedOut(h: Harness, n: number): Promise<void> {
  const published = async (): Promise<number> => Number(/herald_room_fanout_tasks_total\{[^}]*\} (\d+)/.exec(await h.metrics.metrics())?.[1] ?? 0);
  await eventually(async () => (await published()) >= n);
}

async function withRoom(given: Parameters<typeof startRoom>[0], run: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startRoom(given);
  try {
    await run(h);
  } finally {
    await h.stop();
  }
}

async function reply(c: TestClient, frame: Parameters<TestClient['send']>[0]): Promise<ServerFrame> {
  const seq = c.send(frame);
  const r = await c.nextOf('reply');
  assert.equal(r.seq, seq);
  return r;
}

describe('room: broadcast fan-out from the queue', () => {
  test('a broadcast reaches every socket of its app exactly once, no socket of another app', () =>
    withRoom({}, async (h) => {
      const clients = await Promise.all(['a', 'b', 'c'].map(async (d) => (await TestClient.authed(h.url, [token(d)])).client));
      const { client: other } = await TestClient.authed(h.url, [token('x', { app: APP2.id })]);
      await publishFanout(h, broadcastMessage('bc1'));
      for (const c of clients) {
        const [p] = await pushes(c, 1);
        assert.equal(p.push!.id, 'bc1');
        assert.equal(p.push!.kind, PushKind.PUSH_BROADCAST);
        assert.equal(Buffer.from(p.push!.payload!).toString(), 'payload-bc1');
      }
      await sleep(100);
      for (const c of [...clients, other]) assert.deepEqual(await framesBeforePong(c), []);
      assert.match(await h.metrics.metrics(), /herald_room_fanout_tasks_total\{room="[^"]+"\} 1/);
      const status = await h.saver.status(APP.id, 'bc1');
      assert.equal(status?.delivered, 3);
      [...clients, other].forEach((c) => c.close());
    }));

  test('a batch of 16 broadcasts arrives complete and in order', () =>
    withRoom({}, async (h) => {
      const { client } = await TestClient.authed(h.url, [token('d')]);
      const bodies = [];
      for (let i = 0; i < 16; i++) {
        const m = broadcastMessage(`m${i}`);
        bodies.push(encodeTask({ message: m, log: '', seq: await h.saver.appendLog(m) }));
      }
      await h.queue.publish(QueueTopics.fanout, bodies);
      const got = await pushes(client, 16);
      assert.deepEqual(got.map((f) => f.push!.id), bodies.map((_, i) => `m${i}`));
      assert.deepEqual(await framesBeforePong(client), []);
      client.close();
    }));

  test('a bad task is dropped and counted; the next ones still go out; expired ones are skipped', () =>
    withRoom({}, async (h) => {
      const { client } = await TestClient.authed(h.url, [token('d')]);
      await h.queue.publish(QueueTopics.fanout, [Buffer.from('not json'), Buffer.from('{"message":{"payload":"x"}}')]);
      await publishFanout(h, broadcastMessage('old', { expires: Date.now() - 1, qos: 0 }));
      await publishFanout(h, broadcastMessage('ok'));
      assert.equal((await pushes(client, 1))[0].push!.id, 'ok');
      const text = await h.metrics.metrics();
      assert.match(text, /herald_room_fanout_bad_total\{room="[^"]+"\} 2/);
      assert.match(text, /herald_room_fanout_expired_total\{room="[^"]+"\} 1/);
      await eventually(async () => (await h.queue.stats()).every((t) => t.channels.every((c) => c.inFlight === 0 && c.depth === 0)));
      client.close();
    }));

  test('two rooms on one queue: each its own channel, each delivers to its own sockets once', async () => {
    const queue = createMemoryQueue({ log: createLogger({ test: 'room' }, 'error') });
    const h1 = await startRoom({ id: 'room-one' }, { queue });
    const h2 = await startRoom({ id: 'room-two' }, { queue, saver: h1.saver });
    try {
      const { client: c1 } = await TestClient.authed(h1.url, [token('d1')]);
      const { client: c2 } = await TestClient.authed(h2.url, [token('d2')]);
      await publishFanout(h1, broadcastMessage('both'));
      assert.equal((await pushes(c1, 1))[0].push!.id, 'both');
      assert.equal((await pushes(c2, 1))[0].push!.id, 'both');
      await sleep(100);
      assert.deepEqual(await framesBeforePong(c1), []);
      assert.deepEqual(await framesBeforePong(c2), []);
      const channels = async (): Promise<string[]> =>
        ((await queue.stats()).find((t) => t.topic === QueueTopics.fanout)?.channels.map((c) => c.channel) ?? []).sort();
      assert.deepEqual(await channels(), ['room-one', 'room-two']);
      c1.close();
      c2.close();
      // stop() stops the consumer: the ephemeral channel goes with it.
      await h2.stop();
      assert.deepEqual(await channels(), ['room-one']);
    } finally {
      await h2.stop();
      await h1.stop();
      await queue.close();
    }
  });
});

describe('room: topics', () => {
  test('Subscribe/Unsubscribe replies; a topic push reaches only its subscribers', () =>
    withRoom({}, async (h) => {
      const { client: sub } = await TestClient.authed(h.url, [token('sub')]);
      const { client: not } = await TestClient.authed(h.url, [token('not')]);
      assert.equal((await reply(sub, { subscribe: { app: APP.id, topics: ['news', 'news'] } })).reply!.code, ErrorCode.Ok);
      assert.deepEqual(await h.register.subscriptions(APP.id, 'sub'), ['news']);
      assert.equal((await reply(sub, { subscribe: { app: APP2.id, topics: ['news'] } })).reply!.code, ErrorCode.NotBound);
      assert.equal((await reply(sub, { subscribe: { app: APP.id, topics: [] } })).reply!.code, ErrorCode.BadFrame);
      assert.equal((await reply(sub, { subscribe: { app: APP.id, topics: ['x'.repeat(129)] } })).reply!.code, ErrorCode.BadFrame);
      const many = Array.from({ length: 65 }, (_, i) => `t${i}`);
      assert.equal((await reply(sub, { subscribe: { app: APP.id, topics: many } })).reply!.code, ErrorCode.BadFrame);

      await publishFanout(h, broadcastMessage('n1', { topic: 'news' }));
      const [p] = await pushes(sub, 1);
      assert.equal(p.push!.id, 'n1');
      assert.equal(p.push!.kind, PushKind.PUSH_TOPIC);
      assert.equal(p.push!.topic, 'news');
      assert.deepEqual(await framesBeforePong(not), []);

      assert.equal((await reply(sub, { unsubscribe: { app: APP.id, topics: ['news'] } })).reply!.code, ErrorCode.Ok);
      assert.deepEqual(await h.register.subscriptions(APP.id, 'sub'), []);
      await publishFanout(h, broadcastMessage('n2', { topic: 'news' }));
      await publishFanout(h, broadcastMessage('after'));
      assert.equal((await pushes(sub, 1))[0].push!.id, 'after');
      sub.close();
      not.close();
    }));

  test("Unbind leaves the app's broadcast and topics; a rebind subscribes again", () =>
    withRoom({}, async (h) => {
      await h.register.subscribe(APP2.id, 'd', ['alerts']);
      const { client } = await TestClient.authed(h.url, [token('d'), token('d', { app: APP2.id })]);
      await publishFanout(h, broadcastMessage('a1', { app: APP2.id, topic: 'alerts' }));
      assert.equal((await pushes(client, 1))[0].push!.id, 'a1');
      client.send({ ack: { ids: ['a1'] } });
      await eventually(async () => (await h.saver.logSince(APP2.id, 'd', ['alerts'])).length === 0);
      assert.equal((await reply(client, { unbind: { app: APP2.id } })).reply!.code, ErrorCode.Ok);
      await publishFanout(h, broadcastMessage('a2', { app: APP2.id, topic: 'alerts' }));
      await publishFanout(h, broadcastMessage('a3', { app: APP2.id }));
      await publishFanout(h, broadcastMessage('mine'));
      assert.equal((await pushes(client, 1))[0].push!.id, 'mine');
      // Bound again: the topic subscription comes back from register, with what it missed.
      assert.equal((await reply(client, { bind: { token: token('d', { app: APP2.id }) } })).reply!.code, ErrorCode.Ok);
      const missed = (await pushes(client, 2)).map((f) => f.push!.id);
      assert.deepEqual(missed.sort(), ['a2', 'a3']);
      await publishFanout(h, broadcastMessage('a4', { app: APP2.id, topic: 'alerts' }));
      assert.equal((await pushes(client, 1))[0].push!.id, 'a4');
      client.close();
    }));

  test('Subscribe delivers the topic history; a subscribed device gets it at connect', () =>
    withRoom({}, async (h) => {
      await publishFanout(h, broadcastMessage('h1', { topic: 'sport' }));
      await publishFanout(h, broadcastMessage('h2', { topic: 'sport' }));
      const { client } = await TestClient.authed(h.url, [token('fan')]);
      assert.equal((await reply(client, { subscribe: { app: APP.id, topics: ['sport'] } })).reply!.code, ErrorCode.Ok);
      assert.deepEqual((await pushes(client, 2)).map((f) => f.push!.id), ['h1', 'h2']);
      client.close();
      // Not acked: at the next connect the device (subscribed in register) gets them again.
      await eventually(() => h.room.connectionCount() === 0);
      const { client: again } = await TestClient.authed(h.url, [token('fan')]);
      const got = await pushes(again, 2);
      assert.deepEqual(got.map((f) => f.push!.id), ['h1', 'h2']);
      assert.equal(got[0].push!.topic, 'sport');
      again.close();
    }));
});

describe('room: offline catch-up and watermarks', () => {
  test('an offline device gets the broadcast at connect; once acked, not at the next connect', () =>
    withRoom({}, async (h) => {
      await publishFanout(h, broadcastMessage('b1'));
      await publishFanout(h, broadcastMessage('b2', { qos: 0, expires: 0 }));
      // Offline means the room published both before the device connected (a device that
      // connects within the fan-out window may get b1 live and from the log: the SDK dedupes).
      await fannedOut(h, 2);
      const { client } = await TestClient.authed(h.url, [token('late')]);
      const [p] = await pushes(client, 1);
      assert.equal(p.push!.id, 'b1');
      assert.deepEqual(await framesBeforePong(client), [], 'the qos 0 online-only broadcast is not kept');
      client.send({ ack: { ids: ['b1'] } });
      await eventually(async () => (await h.saver.logSince(APP.id, 'late', [''])).length === 0);
      client.close();
      await eventually(() => h.room.connectionCount() === 0);
      await publishFanout(h, broadcastMessage('b3'));
      await fannedOut(h, 3);
      const { client: again } = await TestClient.authed(h.url, [token('late')]);
      assert.equal((await pushes(again, 1))[0].push!.id, 'b3');
      assert.deepEqual(await framesBeforePong(again), []);
      assert.equal((await h.saver.status(APP.id, 'b1'))?.acked, 1);
      again.close();
    }));

  test('a live broadcast acked moves the watermark; a paced deliver() with log/seq does too', () =>
    withRoom({}, async (h) => {
      const { client } = await TestClient.authed(h.url, [token('d')]);
      await publishFanout(h, broadcastMessage('live'));
      assert.equal((await pushes(client, 1))[0].push!.id, 'live');
      const paced = broadcastMessage('paced');
      const seq = await h.saver.appendLog(paced);
      const [s] = await h.register.lookupDevices(APP.id, ['d']);
      const res = await h.room.deliver([{ connId: s.connId, app: APP.id, device: 'd', message: paced, log: '', seq }]);
      assert.deepEqual(res, { sent: 1, missing: 0, refused: 0 });
      assert.equal((await pushes(client, 1))[0].push!.id, 'paced');
      assert.equal((await h.saver.logSince(APP.id, 'd', [''])).length, 2);
      client.send({ ack: { ids: ['live', 'paced'] } });
      await eventually(async () => (await h.saver.logSince(APP.id, 'd', [''])).length === 0);
      assert.match(await h.metrics.metrics(), /herald_room_log_acks_total\{room="[^"]+"\} 2/);
      client.close();
    }));
});
