import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RegisterService, SessionRef } from '../../shared/contracts/register';
import { NetworkType } from '../../shared/protocol/codec';
import { CloseCode, ErrorCode } from '../../shared/protocol/codes';
import { APP, APP2, message, startRoom, TestClient, token, type Harness } from './test-harness';

async function connIdOf(h: Harness, device: string, app = APP.id): Promise<string> {
  const [s] = await h.register.lookupDevices(app, [device]);
  assert.ok(s, `device ${device} has a session`);
  return s.connId;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until check() holds (for effects that land after an async register/saver call). */
async function eventually(check: () => Promise<boolean> | boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await sleep(10);
  }
}

describe('room: auth', () => {
  test('AuthOk carries session id, negotiated heartbeat, server time, apps; sessions are registered in one call', async () => {
    const calls: number[] = [];
    const h = await startRoom({}, {
      wrapRegister: (r) => ({ ...r, register: async (s) => (calls.push(s.length), r.register(s)) }),
    });
    try {
      const before = Date.now();
      const { client, authOk } = await TestClient.authed(h.url, [token('d1'), token('d1', { app: APP2.id })], NetworkType.NETWORK_CELLULAR);
      const ok = authOk.authOk!;
      assert.equal(authOk.seq, 1);
      assert.match(ok.sessionId ?? '', /^[\w-]{16,}$/);
      assert.equal(ok.heartbeatSeconds, 180);
      assert.ok(Number(ok.serverTime) >= before && Number(ok.serverTime) <= Date.now());
      assert.deepEqual([...(ok.apps ?? [])].sort(), [APP.id, APP2.id]);
      assert.deepEqual(calls, [2]);
      const [s] = await h.register.lookupDevices(APP.id, ['d1']);
      assert.equal(s.roomId, h.room.id);
      assert.equal(s.network, 'cellular');
      assert.equal(h.room.connectionCount(), 1);
      const { authOk: wifi } = await TestClient.authed(h.url, [token('d2')], NetworkType.NETWORK_WIFI);
      assert.equal(wifi.authOk!.heartbeatSeconds, 60);
      assert.equal((await client.ping()).body, 'pong');
    } finally {
      await h.stop();
    }
  });

  const failures: [string, () => string, number][] = [
    ['bad signature', () => token('d1', { secret: 'wrong' }), ErrorCode.BadToken],
    ['expired token', () => token('d1', { expSeconds: -10 }), ErrorCode.TokenExpired],
    ['unknown app', () => token('d1', { app: 'nope', secret: 'x' }), ErrorCode.UnknownApp],
    ['not a JWT', () => 'garbage', ErrorCode.BadToken],
  ];
  for (const [name, make, code] of failures) {
    test(`${name}: Error(${code}) then close AuthFailed`, async () => {
      const h = await startRoom();
      try {
        const client = await TestClient.connect(h.url);
        client.send({ auth: { tokens: [token('ok'), make()] } });
        const f = await client.next();
        assert.equal(f.body, 'error');
        assert.equal(f.error!.code, code);
        assert.equal((await client.closed).code, CloseCode.AuthFailed);
        assert.deepEqual(await h.register.lookupDevices(APP.id, ['ok']), []);
        assert.match(await h.metrics.metrics(), /herald_room_auth_failures_total\{room="[^"]+",reason="(bad_token|expired|unknown_app)"\} 1/);
      } finally {
        await h.stop();
      }
    });
  }

  test('a first frame other than Auth is a protocol error; a second Auth is refused but kept', async () => {
    const h = await startRoom();
    try {
      const c1 = await TestClient.connect(h.url);
      c1.send({ ping: {} });
      assert.equal((await c1.next()).error!.code, ErrorCode.NotAuthenticated);
      assert.equal((await c1.closed).code, CloseCode.ProtocolError);
      const { client } = await TestClient.authed(h.url, [token('d1')]);
      client.send({ auth: { tokens: [token('d1')] } });
      assert.equal((await client.next()).error!.code, ErrorCode.AlreadyAuthenticated);
      assert.equal((await client.ping()).body, 'pong');
      client.close();
    } finally {
      await h.stop();
    }
  });
});

describe('room: delivery', () => {
  test('deliver() pushes, ack empties the inbox; gone connections and unbound apps count as missing', async () => {
    const h = await startRoom();
    try {
      const { client } = await TestClient.authed(h.url, [token('d1')]);
      const m = message('m1');
      await h.saver.store(m, [{ app: APP.id, device: 'd1' }]);
      const connId = await connIdOf(h, 'd1');
      const other = message('m2', { app: APP2.id });
      const res = await h.room.deliver([
        { connId, app: APP.id, device: 'd1', message: m },
        { connId: 'gone', app: APP.id, device: 'd1', message: m },
        { connId, app: APP2.id, device: 'd1', message: other },
      ]);
      assert.deepEqual(res, { sent: 1, missing: 2, refused: 0 });
      const push = (await client.next()).push!;
      assert.equal(push.id, 'm1');
      assert.equal(push.app, APP.id);
      assert.equal(Buffer.from(push.payload ?? []).toString(), 'payload-m1');
      assert.equal(push.qos, 1);
      client.send({ ack: { ids: ['m1'] } });
      await eventually(async () => (await h.saver.pending(APP.id, 'd1')).length === 0);
      const again = await h.room.deliver([{ connId, app: APP.id, device: 'd1', message: m }]);
      assert.deepEqual(again, { sent: 0, missing: 0, refused: 1 });
      client.close();
    } finally {
      await h.stop();
    }
  });

  test('one message to many connections is written to each', async () => {
    const h = await startRoom();
    try {
      const clients = await Promise.all(['a', 'b', 'c'].map((d) => TestClient.authed(h.url, [token(d)])));
      const m = message('bc', { kind: 'tag' });
      await h.saver.store(m, ['a', 'b', 'c'].map((device) => ({ app: APP.id, device })));
      const batch = await Promise.all(['a', 'b', 'c'].map(async (d) => ({ connId: await connIdOf(h, d), app: APP.id, device: d, message: m })));
      assert.deepEqual(await h.room.deliver(batch), { sent: 3, missing: 0, refused: 0 });
      for (const { client } of clients) {
        const push = (await client.next()).push!;
        assert.equal(push.id, 'bc');
        assert.equal(push.kind, 2);
        client.close();
      }
    } finally {
      await h.stop();
    }
  });

  test('pending messages are delivered at connect', async () => {
    const h = await startRoom();
    try {
      await h.saver.store(message('p1'), [{ app: APP.id, device: 'd9' }]);
      await h.saver.store(message('p2'), [{ app: APP.id, device: 'd9' }]);
      const { client } = await TestClient.authed(h.url, [token('d9')]);
      assert.equal((await client.next()).push!.id, 'p1');
      assert.equal((await client.next()).push!.id, 'p2');
      client.send({ ack: { ids: ['p1', 'p2'] } });
      await eventually(async () => (await h.saver.pending(APP.id, 'd9')).length === 0);
      client.close();
    } finally {
      await h.stop();
    }
  });

  test('a client that never acks gets a message maxAttempts times over reconnects, then it is dead-lettered', async () => {
    const h = await startRoom({}, { saverMaxAttempts: 3 });
    try {
      await h.saver.store(message('loop'), [{ app: APP.id, device: 'bad' }]);
      for (let i = 0; i < 3; i++) {
        const { client } = await TestClient.authed(h.url, [token('bad')]);
        assert.equal((await client.next()).push!.id, 'loop');
        client.close();
        await client.closed;
      }
      const { client } = await TestClient.authed(h.url, [token('bad')]);
      assert.equal((await client.ping()).body, 'pong');
      assert.equal(client.frames.length, 0);
      await eventually(async () => (await h.saver.deadLetters(APP.id)).some((d) => d.id === 'loop' && d.device === 'bad'));
      assert.deepEqual(await h.saver.pending(APP.id, 'bad'), []);
      client.close();
    } finally {
      await h.stop();
    }
  });
});

describe('room: bind and unbind', () => {
  test('Bind adds an app, Unbind removes it, replies echo seq; errors are replies', async () => {
    const h = await startRoom();
    try {
      const { client } = await TestClient.authed(h.url, [token('d1')]);
      const s1 = client.send({ bind: { token: token('d1', { app: APP2.id }) } });
      const r1 = await client.nextOf('reply');
      assert.equal(r1.seq, s1);
      assert.equal(r1.reply!.code, ErrorCode.Ok);
      assert.deepEqual(r1.reply!.apps, [APP.id, APP2.id]);
      assert.equal((await h.register.lookupDevices(APP2.id, ['d1'])).length, 1);

      const s2 = client.send({ unbind: { app: APP2.id } });
      const r2 = await client.nextOf('reply');
      assert.equal(r2.seq, s2);
      assert.deepEqual(r2.reply!.apps, [APP.id]);
      assert.deepEqual(await h.register.lookupDevices(APP2.id, ['d1']), []);

      client.send({ unbind: { app: 'never' } });
      assert.equal((await client.nextOf('reply')).reply!.code, ErrorCode.NotBound);
      client.send({ bind: { token: token('d1', { app: APP2.id, secret: 'bad' }) } });
      assert.equal((await client.nextOf('reply')).reply!.code, ErrorCode.BadToken);
      client.close();
    } finally {
      await h.stop();
    }
  });

  test('closing unregisters the sessions; touches are batched', async () => {
    const touched: SessionRef[][] = [];
    const unregistered: SessionRef[][] = [];
    const wrap = (r: RegisterService): RegisterService => ({
      ...r,
      touch: async (refs) => (touched.push(refs), r.touch(refs)),
      unregister: async (refs) => (unregistered.push(refs), r.unregister(refs)),
    });
    // No grace: a dropped connection's sessions go at once (grace is tested in resume.test.ts).
    const h = await startRoom({ touchIntervalMs: 100, sweepIntervalMs: 50, graceMs: 0 }, { wrapRegister: wrap });
    try {
      const a = await TestClient.authed(h.url, [token('t1'), token('t1', { app: APP2.id })]);
      const b = await TestClient.authed(h.url, [token('t2')]);
      await Promise.all([a.client.ping(), b.client.ping()]);
      await eventually(() => touched.some((refs) => refs.length === 3));
      a.client.close();
      b.client.close();
      await eventually(async () => (await h.register.lookupDevices(APP.id, ['t1', 't2'])).length === 0);
      assert.equal(unregistered.flat().length, 3);
      assert.deepEqual(await h.register.lookupDevices(APP2.id, ['t1']), []);
    } finally {
      await h.stop();
    }
  });
});

describe('room: lifecycle and HTTP', () => {
  test('announces itself; stop() closes clients with Draining, withdraws, is safe twice', async () => {
    const h = await startRoom({ announceIntervalMs: 50, closeBatchSize: 2 });
    const clients = await Promise.all(['x', 'y', 'z'].map((d) => TestClient.authed(h.url, [token(d)])));
    await eventually(async () => (await h.registry.list()).some((r) => r.id === h.room.id && r.connections === 3));
    const [info] = await h.registry.list();
    assert.deepEqual(info.urls, [h.url]);
    assert.equal(info.draining, false);
    await Promise.all([h.room.stop(), h.room.stop()]);
    for (const { client } of clients) assert.equal((await client.closed).code, CloseCode.Draining);
    assert.deepEqual(await h.registry.list(), []);
    assert.equal(h.room.connectionCount(), 0);
    assert.deepEqual(await h.register.lookupDevices(APP.id, ['x', 'y', 'z']), []);
    await h.stop();
  });

  test('/healthz, /readyz and /metrics answer on the room port', async () => {
    const h = await startRoom();
    try {
      const { client } = await TestClient.authed(h.url, [token('m')]);
      assert.deepEqual(await (await fetch(`${h.httpUrl}/healthz`)).json(), { ok: true });
      assert.equal((await fetch(`${h.httpUrl}/readyz`)).status, 200);
      const metrics = await (await fetch(`${h.httpUrl}/metrics`)).text();
      assert.match(metrics, /herald_room_connections\{room="[^"]+"\} 1/);
      assert.match(metrics, /herald_room_frames_in_total\{room="[^"]+",type="auth"\} 1/);
      assert.equal((await fetch(`${h.httpUrl}/nope`)).status, 404);
      assert.equal((await fetch(`${h.httpUrl}/ws`)).status, 426);
      client.close();
    } finally {
      await h.stop();
    }
  });
});
