import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SaverService } from '../../shared/contracts/saver';
import type { ServerFrame } from '../../shared/protocol/codec';
import { CloseCode, ErrorCode } from '../../shared/protocol/codes';
import { APP, APP2, broadcastMessage, eventually, message, publishFanout, startRoom, TestClient, token, type Harness } from './test-harness';

/** Wraps the saver to count pending() calls (a resume must not reload). */
function countPending(counter: { pending: number }): (s: SaverService) => SaverService {
  return (s) =>
    new Proxy(s, {
      get(target, key, receiver) {
        if (key === 'pending') return (...args: Parameters<SaverService['pending']>) => (counter.pending++, target.pending(...args));
        return Reflect.get(target, key, receiver);
      },
    });
}

async function authWith(url: string, tokens: string[], resume: string): Promise<{ client: TestClient; authOk: ServerFrame }> {
  const client = await TestClient.connect(url);
  client.send({ auth: { tokens, resume } });
  const authOk = await client.nextOf('authOk');
  return { client, authOk };
}

/** Closes the client's socket and waits until the room has seen it go (its session now in grace). */
async function drop(h: Harness, client: TestClient): Promise<void> {
  client.close();
  await eventually(() => h.room.connectionCount() === 0);
}

async function sessionOf(h: Harness, device: string): Promise<{ connId: string } | undefined> {
  return (await h.register.lookupDevices(APP.id, [device]))[0];
}

async function subscribe(client: TestClient, topic: string): Promise<void> {
  client.send({ subscribe: { app: APP.id, topics: [topic] } });
  assert.equal((await client.nextOf('reply')).reply!.code, ErrorCode.Ok);
}

describe('room: flash reconnect', () => {
  test('within graceMs: resumed, no reload, unacked and gap messages resent, topics kept', async () => {
    const calls = { pending: 0 };
    const h = await startRoom({ graceMs: 5000 }, { wrapSaver: countPending(calls) });
    try {
      const { client, authOk } = await TestClient.authed(h.url, [token('f1')]);
      const sessionId = authOk.authOk!.sessionId!;
      await subscribe(client, 'news');
      const oldConn = (await sessionOf(h, 'f1'))!.connId;
      const m1 = message('m1');
      const acked = message('acked');
      await h.saver.store(m1, [{ app: APP.id, device: 'f1' }]);
      await h.saver.store(acked, [{ app: APP.id, device: 'f1' }]);
      await h.room.deliver([m1, acked].map((m) => ({ connId: oldConn, app: APP.id, device: 'f1', message: m })));
      assert.equal((await client.nextOf('push')).push!.id, 'm1');
      assert.equal((await client.nextOf('push')).push!.id, 'acked');
      client.send({ ack: { ids: ['acked'] } });
      await eventually(async () => (await h.saver.pending(APP.id, 'f1')).length === 1);
      const pendingBefore = calls.pending;
      await drop(h, client);
      // Still registered under the old connection; a delivery meanwhile is kept for the resume.
      assert.equal((await sessionOf(h, 'f1'))?.connId, oldConn);
      const gap = message('gap');
      await h.saver.store(gap, [{ app: APP.id, device: 'f1' }]);
      assert.deepEqual(await h.room.deliver([{ connId: oldConn, app: APP.id, device: 'f1', message: gap }]), { sent: 0, missing: 1, refused: 0 });

      const again = await authWith(h.url, [token('f1')], sessionId);
      assert.equal(again.authOk.authOk!.resumed, true);
      assert.equal(again.authOk.authOk!.sessionId, sessionId);
      assert.deepEqual([(await again.client.nextOf('push')).push!.id, (await again.client.nextOf('push')).push!.id], ['m1', 'gap']);
      const newConn = (await sessionOf(h, 'f1'))!.connId;
      assert.notEqual(newConn, oldConn);
      await publishFanout(h, broadcastMessage('t1', { topic: 'news' }));
      assert.equal((await again.client.nextOf('push')).push!.id, 't1', 'the topic is still subscribed');
      assert.equal(calls.pending, pendingBefore, 'no saver.pending on resume');
      assert.ok(!h.coordinator.events().some((e) => !e.online), 'no offline event for a resumed session');
      assert.match(await h.metrics.metrics(), /herald_room_resumes_total\{room="[^"]+"\} 1/);
      again.client.close();
    } finally {
      await h.stop();
    }
  });

  test('after graceMs: unregistered and reported offline; a late resume is a normal auth that reloads', async () => {
    const calls = { pending: 0 };
    const h = await startRoom({ graceMs: 150, sweepIntervalMs: 20 }, { wrapSaver: countPending(calls) });
    try {
      const { client, authOk } = await TestClient.authed(h.url, [token('f2')]);
      await h.saver.store(message('kept'), [{ app: APP.id, device: 'f2' }]);
      await h.room.deliver([{ connId: (await sessionOf(h, 'f2'))!.connId, app: APP.id, device: 'f2', message: message('kept') }]);
      await client.nextOf('push');
      client.close();
      await eventually(async () => (await sessionOf(h, 'f2')) === undefined, 2000, 'grace expiry');
      await eventually(() => h.coordinator.events().some((e) => !e.online && e.device === 'f2'));
      assert.equal(h.coordinator.events().find((e) => !e.online)!.reason, 'abnormal');
      const before = calls.pending;
      const late = await authWith(h.url, [token('f2')], authOk.authOk!.sessionId!);
      assert.equal(late.authOk.authOk!.resumed, false);
      assert.notEqual(late.authOk.authOk!.sessionId, authOk.authOk!.sessionId);
      assert.equal((await late.client.nextOf('push')).push!.id, 'kept', 'reloaded from the saver');
      assert.ok(calls.pending > before);
      late.client.close();
    } finally {
      await h.stop();
    }
  });

  test('resume with other devices, other apps or an unknown id is a normal auth', async () => {
    const h = await startRoom({ graceMs: 5000 });
    try {
      const { client, authOk } = await TestClient.authed(h.url, [token('f3')]);
      const sessionId = authOk.authOk!.sessionId!;
      await drop(h, client);
      const other = await authWith(h.url, [token('f4')], sessionId);
      assert.equal(other.authOk.authOk!.resumed, false);
      const more = await authWith(h.url, [token('f3'), token('f3', { app: APP2.id })], sessionId);
      assert.equal(more.authOk.authOk!.resumed, false, 'tokens must name the same apps');
      const unknown = await authWith(h.url, [token('f5')], 'no-such-session');
      assert.equal(unknown.authOk.authOk!.resumed, false);
      for (const c of [other, more, unknown]) c.client.close();
    } finally {
      await h.stop();
    }
  });

  test('sessions in their grace period keep being touched in register', async () => {
    const touched: string[] = [];
    const h = await startRoom({ graceMs: 5000, touchIntervalMs: 30, sweepIntervalMs: 10 }, {
      wrapRegister: (r) => ({ ...r, touch: async (refs) => (touched.push(...refs.map((x) => x.connId)), r.touch(refs)) }),
    });
    try {
      const { client } = await TestClient.authed(h.url, [token('f6')]);
      const connId = (await sessionOf(h, 'f6'))!.connId;
      await drop(h, client);
      const mark = touched.length;
      await eventually(() => touched.slice(mark).includes(connId), 2000, 'a touch of the grace session');
    } finally {
      await h.stop();
    }
  });

  test('a push to the old connection (during the resume or after it) or to the new one before the register answers reaches the resumed one', async () => {
    let hold: Promise<void> | undefined;
    let newConn = '';
    const h = await startRoom({ graceMs: 5000 }, {
      wrapRegister: (r) => ({ ...r, register: async (s) => ((newConn = s[0].connId), await hold, r.register(s)) }),
    });
    try {
      const { client, authOk } = await TestClient.authed(h.url, [token('r1')]);
      const oldConn = (await sessionOf(h, 'r1'))!.connId;
      await drop(h, client);
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      const during = message('during');
      const early = message('early');
      const after = message('after');
      for (const m of [during, early, after]) await h.saver.store(m, [{ app: APP.id, device: 'r1' }]);
      const client2 = await TestClient.connect(h.url);
      client2.send({ auth: { tokens: [token('r1')], resume: authOk.authOk!.sessionId! } });
      // The resume's register call is held: the room has claimed the session, not finished.
      await eventually(() => h.room.connectionCount() === 1);
      await h.room.deliver([{ connId: oldConn, app: APP.id, device: 'r1', message: during }]);
      // A center that read the new session before the room had the register's answer.
      await h.room.deliver([{ connId: newConn, app: APP.id, device: 'r1', message: early }]);
      release();
      assert.equal((await client2.nextOf('authOk')).authOk!.resumed, true);
      assert.deepEqual([(await client2.nextOf('push')).push!.id, (await client2.nextOf('push')).push!.id], ['during', 'early']);
      assert.deepEqual(await h.room.deliver([{ connId: oldConn, app: APP.id, device: 'r1', message: after }]), { sent: 1, missing: 0, refused: 0 });
      assert.equal((await client2.nextOf('push')).push!.id, 'after');
      client2.close();
    } finally {
      await h.stop();
    }
  });

  test('a push whose saver.attempt was in flight when the socket dropped is written on the resume', async () => {
    let gate: Promise<void> | undefined;
    const h = await startRoom({ graceMs: 5000 }, {
      wrapSaver: (s) => new Proxy(s, {
        get: (target, key, receiver) => key === 'attempt'
          ? async (...args: Parameters<SaverService['attempt']>) => (await gate, target.attempt(...args))
          : Reflect.get(target, key, receiver),
      }),
    });
    try {
      const { client, authOk } = await TestClient.authed(h.url, [token('a1')]);
      const oldConn = (await sessionOf(h, 'a1'))!.connId;
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      const m = message('inflight');
      await h.saver.store(m, [{ app: APP.id, device: 'a1' }]);
      const delivered = h.room.deliver([{ connId: oldConn, app: APP.id, device: 'a1', message: m }]);
      await drop(h, client);
      open();
      assert.deepEqual(await delivered, { sent: 0, missing: 1, refused: 0 }, 'not written: the socket was gone');
      const again = await authWith(h.url, [token('a1')], authOk.authOk!.sessionId!);
      assert.equal(again.authOk.authOk!.resumed, true);
      assert.equal((await again.client.nextOf('push')).push!.id, 'inflight');
      again.client.close();
    } finally {
      await h.stop();
    }
  });

  test("a kick aimed at a resumed session's old connection id closes the new connection", async () => {
    const h = await startRoom({ graceMs: 5000 });
    try {
      const { client, authOk } = await TestClient.authed(h.url, [token('k1')]);
      const oldConn = (await sessionOf(h, 'k1'))!.connId;
      await drop(h, client);
      const again = await authWith(h.url, [token('k1')], authOk.authOk!.sessionId!);
      assert.equal(again.authOk.authOk!.resumed, true);
      assert.equal(await h.room.kick([{ connId: oldConn, code: CloseCode.Replaced, reason: 'replaced' }]), 1);
      assert.equal((await again.client.nextOf('kick')).kick!.code, CloseCode.Replaced);
      assert.equal((await again.client.closed).code, CloseCode.Replaced);
      await eventually(() => h.room.connectionCount() === 0);
    } finally {
      await h.stop();
    }
  });
});
