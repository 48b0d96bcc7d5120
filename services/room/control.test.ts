import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatusEvent } from '../../shared/contracts/coordinator';
import { CloseCode } from '../../shared/protocol/codes';
import { APP, APP2, eventually, message, SOLO, sleep, startRoom, TestClient, token, type Harness } from './test-harness';

async function connIdOf(h: Harness, device: string, app = APP.id): Promise<string> {
  const [s] = await h.register.lookupDevices(app, [device]);
  assert.ok(s, `device ${device} has a session`);
  return s.connId;
}

const brief = (e: StatusEvent): string => `${e.online ? 'on' : 'off'}:${e.app}/${e.device}:${e.reason}`;

describe('room: status events', () => {
  test('online at auth and bind, offline at unbind, kick and close (by close-code name), batched per turn', async () => {
    const h = await startRoom({ graceMs: 0 });
    try {
      const before = Date.now();
      const { client } = await TestClient.authed(h.url, [token('s1', { uid: 'u' }), token('s1', { app: APP2.id })]);
      await eventually(() => h.coordinator.events().length === 2);
      assert.equal(h.coordinator.statusCalls.length, 1, 'both apps of the auth in one call');
      const [e] = h.coordinator.events();
      assert.deepEqual({ ...e, time: 0 }, { app: APP.id, device: 's1', user: 'u', roomId: h.room.id, online: true, time: 0, reason: 'connect' });
      assert.ok(e.time >= before && e.time <= Date.now());

      client.send({ unbind: { app: APP2.id } });
      await client.nextOf('reply');
      client.send({ bind: { token: token('s1', { app: APP2.id }) } });
      await client.nextOf('reply');
      client.ws.close(1000);
      await client.closed;
      const b = await TestClient.authed(h.url, [token('s2')]);
      await h.room.kick([{ connId: await connIdOf(h, 's2'), code: CloseCode.Kicked, reason: 'bye' }]);
      await b.client.closed;
      await eventually(() => h.coordinator.events().length === 8);
      assert.deepEqual(h.coordinator.events().map(brief), [
        `on:${APP.id}/s1:connect`, `on:${APP2.id}/s1:connect`,
        `off:${APP2.id}/s1:unbind`, `on:${APP2.id}/s1:connect`,
        `off:${APP.id}/s1:normal`, `off:${APP2.id}/s1:normal`,
        `on:${APP.id}/s2:connect`, `off:${APP.id}/s2:kicked`,
      ]);
    } finally {
      await h.stop();
    }
  });

  test('a heartbeat timeout reports its code name; a failing coordinator is counted, never fatal', async () => {
    const h = await startRoom({ graceMs: 0, heartbeatMinSeconds: 1, heartbeatMaxSeconds: 1, heartbeatMisses: 0, sweepIntervalMs: 50 });
    try {
      h.coordinator.failStatus = true;
      const { client } = await TestClient.authed(h.url, [token('hb')]);
      assert.equal((await client.closed).code, CloseCode.HeartbeatTimeout);
      await eventually(() => h.coordinator.events().some((e) => !e.online));
      assert.deepEqual(h.coordinator.events().map(brief), [`on:${APP.id}/hb:connect`, `off:${APP.id}/hb:heartbeat_timeout`]);
      assert.match(await h.metrics.metrics(), /herald_room_status_failures_total\{room="[^"]+"\} 2/);
      const { client: c2 } = await TestClient.authed(h.url, [token('hb2')]);
      assert.equal((await c2.ping()).body, 'pong');
      c2.close();
    } finally {
      await h.stop();
    }
  });
});

describe('room: kick', () => {
  test('a Kick frame then a close with the code; other connections untouched; answers how many were open', async () => {
    const h = await startRoom();
    try {
      const a = await TestClient.authed(h.url, [token('k1')]);
      const b = await TestClient.authed(h.url, [token('k2')]);
      const n = await h.room.kick([
        { connId: await connIdOf(h, 'k1'), code: CloseCode.Kicked, reason: 'by admin' },
        { connId: 'gone', code: CloseCode.Kicked, reason: '' },
      ]);
      assert.equal(n, 1);
      const kick = await a.client.nextOf('kick');
      assert.equal(kick.kick!.code, CloseCode.Kicked);
      assert.equal(kick.kick!.reason, 'by admin');
      assert.deepEqual(await a.client.closed, { code: CloseCode.Kicked, reason: 'by admin' });
      assert.equal((await b.client.ping()).body, 'pong');
      // No grace for a kicked session: gone from register at once.
      await eventually(async () => (await h.register.lookupDevices(APP.id, ['k1'])).length === 0);
      assert.equal(h.room.connectionCount(), 1);
      b.client.close();
    } finally {
      await h.stop();
    }
  });
});

describe('room: single login', () => {
  test('a second connection of a device of a singleLogin app: coordinator.replaced gets the pair; its kick closes the old one', async () => {
    const h = await startRoom();
    try {
      h.coordinator.onReplaced = async (pairs) => {
        await h.room.kick(pairs.map((p) => ({ connId: p.old.connId, code: CloseCode.Replaced, reason: 'replaced' })));
      };
      const first = await TestClient.authed(h.url, [token('p1', { app: SOLO.id }), token('p1')]);
      const oldConn = await connIdOf(h, 'p1', SOLO.id);
      const second = await TestClient.authed(h.url, [token('p1', { app: SOLO.id }), token('p1')]);
      const newConn = await connIdOf(h, 'p1', SOLO.id);
      assert.notEqual(oldConn, newConn);
      assert.equal((await first.client.closed).code, CloseCode.Replaced);
      assert.equal(h.coordinator.replacedCalls.length, 1);
      const pairs = h.coordinator.replacedCalls[0];
      assert.equal(pairs.length, 1, 'only the singleLogin app');
      assert.deepEqual([pairs[0].now.app, pairs[0].now.device, pairs[0].now.connId], [SOLO.id, 'p1', newConn]);
      assert.deepEqual([pairs[0].old.app, pairs[0].old.device, pairs[0].old.connId], [SOLO.id, 'p1', oldConn]);
      await eventually(() => h.coordinator.events().some((e) => !e.online && e.reason === 'replaced'));
      assert.equal((await second.client.ping()).body, 'pong');
      assert.equal((await h.register.lookupDevices(SOLO.id, ['p1']))[0].connId, newConn, 'the old close does not remove the new session');
      second.client.close();
    } finally {
      await h.stop();
    }
  });

  test('without singleLogin nothing new happens: both connections stay', async () => {
    const h = await startRoom();
    try {
      const a = await TestClient.authed(h.url, [token('p2')]);
      const b = await TestClient.authed(h.url, [token('p2')]);
      await sleep(50);
      assert.equal(h.coordinator.replacedCalls.length, 0);
      assert.equal((await a.client.ping()).body, 'pong');
      assert.equal((await b.client.ping()).body, 'pong');
      a.client.close();
      b.client.close();
    } finally {
      await h.stop();
    }
  });
});

describe('room: reflush', () => {
  test('after the register lost its sessions, reflush registers every live session again', async () => {
    const h = await startRoom();
    try {
      const clients = await Promise.all(['r1', 'r2', 'r3'].map((d) => TestClient.authed(h.url, [token(d)])));
      await TestClient.authed(h.url, [token('r1', { app: APP2.id })]).then(({ client }) => clients.push({ client, authOk: undefined as never }));
      const before = await h.register.listRoom(h.room.id);
      assert.equal(before.length, 4);
      await h.register.unregister(before.map((s) => ({ app: s.app, device: s.device, connId: s.connId })));
      assert.deepEqual(await h.register.lookupDevices(APP.id, ['r1', 'r2', 'r3']), []);
      assert.equal(await h.room.reflush(), 4);
      const after = await h.register.lookupDevices(APP.id, ['r1', 'r2', 'r3']);
      assert.deepEqual(after.map((s) => s.device).sort(), ['r1', 'r2', 'r3']);
      assert.deepEqual(after.map((s) => s.connId).sort(), before.filter((s) => s.app === APP.id).map((s) => s.connId).sort());
      assert.equal((await h.register.lookupDevices(APP2.id, ['r1'])).length, 1);
      // The sessions work again: a push found through the register arrives.
      const [s] = after.filter((x) => x.device === 'r2');
      const m = message('again');
      await h.saver.store(m, [{ app: APP.id, device: 'r2' }]);
      assert.deepEqual(await h.room.deliver([{ connId: s.connId, app: APP.id, device: 'r2', message: m }]), { sent: 1, missing: 0, refused: 0 });
      assert.equal((await clients[1].client.nextOf('push')).push!.id, 'again');
      for (const { client } of clients) client.close();
    } finally {
      await h.stop();
    }
  });
});
