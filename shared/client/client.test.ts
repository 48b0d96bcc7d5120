import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signToken } from '../auth/jwt';
import { ErrorCode, PushKinds } from '../protocol/codes';
import { createNodeClient, RequestError, type ClientEvents, type ClientOptions, type HeraldClient, type PushMessage } from './node';
import { startFakeRoom, until, type FakeRoom } from './fake-room';

const token = signToken({ sub: 'd1', app: 'demo', exp: Math.floor(Date.now() / 1000) + 3600 }, 'secret');

type Recorded = { name: keyof ClientEvents; arg: unknown; at: number };

function record(client: HeraldClient): Recorded[] {
  const events: Recorded[] = [];
  for (const name of ['connected', 'disconnected', 'push', 'kick', 'closed', 'error'] as const) {
    client.on(name, (arg) => events.push({ name, arg, at: Date.now() }));
  }
  return events;
}

async function withRoom(fn: (room: FakeRoom) => Promise<void>, extra?: (room: FakeRoom) => void): Promise<void> {
  const room = await startFakeRoom();
  extra?.(room);
  try {
    await fn(room);
  } finally {
    await room.stop();
  }
}

function client(room: FakeRoom, opts: Partial<ClientOptions> = {}): HeraldClient {
  return createNodeClient({ tokens: [token], urls: [room.url], backoff: { initialMs: 20, maxMs: 200 }, ...opts });
}

function acked(room: FakeRoom): string[] {
  return room.frames.filter((f) => f.body === 'ack').flatMap((f) => f.ack?.ids ?? []);
}

test('auth handshake sends tokens and client info, then heartbeats with Ping', () =>
  withRoom(async (room) => {
    room.heartbeatSeconds = 1;
    const c = client(room, { platform: 'linux', network: 'wifi', sdkVersion: 'test/1' });
    try {
      const info = await c.connect();
      assert.equal(info.url, room.url);
      assert.match(info.sessionId, /^s\d+$/);
      assert.equal(info.heartbeatSeconds, 1);
      assert.equal(info.resumed, false);
      assert.equal(c.state, 'connected');
      const auth = room.frames[0].auth!;
      assert.deepEqual(auth.tokens, [token]);
      assert.equal(auth.resume, '');
      assert.equal(auth.platform, 'linux');
      assert.equal(auth.network, 1); // NETWORK_WIFI
      assert.equal(auth.sdkVersion, 'test/1');
      await until('a ping', () => room.frames.some((f) => f.body === 'ping'), 2500);
      assert.deepEqual(await c.connect(), info, 'connect() when connected answers at once');
    } finally {
      c.close();
    }
    assert.equal(c.state, 'closed');
  }));

test('pushes of one burst are auto-acked in one Ack frame', () =>
  withRoom(async (room) => {
    const c = client(room);
    const pushes: PushMessage[] = [];
    c.on('push', (p) => pushes.push(p));
    try {
      await c.connect();
      const created = Date.now();
      room.conns[0].sendBatch(
        ['m1', 'm2', 'm3', 'm4'].map((id, i) => ({ push: { id, app: 'demo', payload: Buffer.from(`hi ${id}`), kind: i % 2 === 0 ? 0 : 3, topic: i % 2 ? 'news' : '', created, qos: 1 } })),
      );
      await until('acks', () => acked(room).length === 4);
      const ackFrames = room.frames.filter((f) => f.body === 'ack');
      assert.equal(ackFrames.length, 1, 'one Ack frame for the burst');
      assert.deepEqual(ackFrames[0].ack!.ids, ['m1', 'm2', 'm3', 'm4']);
      assert.equal(pushes.length, 4);
      assert.equal(new TextDecoder().decode(pushes[1].payload), 'hi m2');
      assert.equal(pushes[1].kind, PushKinds[3]);
      assert.equal(pushes[1].topic, 'news');
      assert.equal(pushes[0].created, created);
      assert.equal(pushes[0].ack, undefined, 'no ack function with autoAck');
    } finally {
      c.close();
    }
  }));

test('a duplicate push is emitted once and acked twice; qos 0 is not acked', () =>
  withRoom(async (room) => {
    const c = client(room);
    const ids: string[] = [];
    c.on('push', (p) => ids.push(p.id));
    try {
      await c.connect();
      const push = { push: { id: 'dup', app: 'demo', payload: Buffer.from('x'), qos: 1 } };
      room.conns[0].send(push);
      await until('first ack', () => acked(room).length === 1);
      room.conns[0].send(push);
      room.conns[0].send({ push: { id: 'q0', app: 'demo', payload: Buffer.from('y'), qos: 0 } });
      await until('second ack', () => acked(room).length === 2);
      await until('q0 push', () => ids.length === 2);
      assert.deepEqual(ids, ['dup', 'q0']);
      assert.deepEqual(acked(room), ['dup', 'dup']);
    } finally {
      c.close();
    }
  }));

test('manual ack: nothing is acked until ack() is called', () =>
  withRoom(async (room) => {
    const c = client(room, { autoAck: false });
    const pushes: PushMessage[] = [];
    c.on('push', (p) => pushes.push(p));
    try {
      await c.connect();
      room.conns[0].sendBatch([{ push: { id: 'a', app: 'demo', qos: 1 } }, { push: { id: 'b', app: 'demo', qos: 1 } }]);
      await until('two pushes', () => pushes.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(acked(room), []);
      // A redelivery of a message still waiting for its manual ack is neither emitted nor acked.
      room.conns[0].send({ push: { id: 'a', app: 'demo', qos: 1 } });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(pushes.length, 2);
      assert.deepEqual(acked(room), []);
      assert.equal(typeof pushes[0].ack, 'function');
      pushes[1].ack!();
      pushes[0].ack!();
      await until('acks', () => acked(room).length === 2);
      assert.equal(room.frames.filter((f) => f.body === 'ack').length, 1, 'acks of one tick share a frame');
      assert.deepEqual(acked(room), ['b', 'a']);
    } finally {
      c.close();
    }
  }));

test('a push listener that throws reports an error, is not acked, and gets the redelivery', () =>
  withRoom(async (room) => {
    const c = client(room);
    const events = record(c);
    let calls = 0;
    c.on('push', () => {
      if (++calls === 1) throw new Error('boom');
    });
    try {
      await c.connect();
      room.conns[0].send({ push: { id: 'm', app: 'demo', qos: 1 } });
      await until('error event', () => events.some((e) => e.name === 'error'));
      assert.deepEqual(acked(room), []);
      room.conns[0].send({ push: { id: 'm', app: 'demo', qos: 1 } });
      await until('ack of the redelivery', () => acked(room).length === 1);
      assert.equal(calls, 2);
    } finally {
      c.close();
    }
  }));

test('requests are matched to replies by seq, with codes, timeouts and disconnects', () =>
  withRoom(async (room) => {
    room.handler = (conn, f) => {
      if (f.body === 'subscribe' || f.body === 'unsubscribe') {
        // Answer the first of two requests last, to check the correlation.
        setTimeout(() => conn.send({ seq: f.seq, reply: { code: 0, message: f.body!, apps: [f[f.body as 'subscribe']!.topics![0]] } }), f.body === 'subscribe' ? 30 : 0);
        return true;
      }
      if (f.body === 'upstream') {
        conn.send({ seq: f.seq, reply: { code: ErrorCode.NotBound, message: 'app not bound' } });
        return true;
      }
      if (f.body === 'bind') {
        conn.send({ seq: f.seq, error: { code: ErrorCode.BadToken, message: 'bad token' } });
        return true;
      }
      return f.body === 'unbind'; // never answered
    };
    const c = client(room, { requestTimeoutMs: 300 });
    try {
      await assert.rejects(c.subscribe('demo', ['t']), (e: RequestError) => e.code === ErrorCode.Unavailable && /not connected/.test(e.message));
      await c.connect();
      const [sub, unsub] = await Promise.all([c.subscribe('demo', ['t1']), c.unsubscribe('demo', ['t2'])]);
      assert.equal(sub.message, 'subscribe');
      assert.deepEqual(sub.apps, ['t1']);
      assert.deepEqual(unsub.apps, ['t2']);
      await assert.rejects(c.upstream('demo', 'chat', 'hello'), (e: RequestError) => e instanceof RequestError && e.code === ErrorCode.NotBound && e.message === 'app not bound');
      const up = room.frames.find((f) => f.body === 'upstream')!.upstream!;
      assert.equal(Buffer.from(up.payload!).toString(), 'hello');
      await assert.rejects(c.bind('x.y.z'), (e: RequestError) => e.code === ErrorCode.BadToken);
      const started = Date.now();
      await assert.rejects(c.unbind('demo'), /timed out after 300 ms/);
      assert.ok(Date.now() - started >= 280);
      await assert.rejects(c.subscribe('demo', []), TypeError);
      const seqs = room.frames.filter((f) => f.body !== 'auth' && f.body !== 'ping').map((f) => f.seq);
      assert.equal(new Set(seqs).size, seqs.length, 'every request has its own seq');
      assert.ok(seqs.every((s) => s > 0));
      const waiting = c.unbind('demo');
      room.conns[0].close(4000, 'draining');
      await assert.rejects(waiting, (e: RequestError) => e.code === ErrorCode.Unavailable && /connection closed/.test(e.message));
    } finally {
      c.close();
    }
  }));

test('bad frames from the room are reported without dropping the connection', () =>
  withRoom(async (room) => {
    const c = client(room);
    const events = record(c);
    try {
      await c.connect();
      room.conns[0].ws.send(Buffer.from([0xff, 0xff, 0xff]));
      room.conns[0].ws.send('text');
      room.conns[0].send({ error: { code: ErrorCode.RateLimited, message: 'slow down' } });
      await until('three errors', () => events.filter((e) => e.name === 'error').length === 3);
      const messages = events.filter((e) => e.name === 'error').map((e) => (e.arg as Error).message);
      assert.match(messages[0], /malformed server frame/);
      assert.match(messages[1], /text frame/);
      assert.equal(messages[2], 'slow down');
      assert.equal(c.state, 'connected');
      assert.equal(room.conns.length, 1);
    } finally {
      c.close();
    }
  }));

test('bad options throw at once', () => {
  assert.throws(() => createNodeClient({ tokens: [] }), /tokens/);
  assert.throws(() => createNodeClient({ tokens: [token] }), /dispatchUrl or urls/);
  assert.throws(() => createNodeClient({ tokens: [token], urls: ['http://x'] }), /urls\[0\]/);
  assert.throws(() => createNodeClient({ tokens: [token], urls: ['ws://x'], backoff: { factor: 0 } }), /backoff.factor/);
  assert.throws(() => createNodeClient({ tokens: [token], urls: ['ws://x'], network: 'lte' as never }), /network/);
});
