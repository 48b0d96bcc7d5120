import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifyToken } from '../../shared/auth/jwt';
import type { Session } from '../../shared/contracts/register';
import { ADMIN, APP1, APP2, type Harness, startCenter, until } from './test-kit';

const session = (device: string, roomId: string, user?: string): Session => ({
  app: APP1.id,
  device,
  roomId,
  connId: `c-${device}`,
  since: 1_700_000_000_000,
  user,
});

async function withCenter(fn: (h: Harness) => Promise<void>, opts?: Parameters<typeof startCenter>[0]): Promise<void> {
  const h = await startCenter(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('center', () => {
  test('start, /healthz, stop twice', async () => {
    const h = await startCenter();
    assert.ok(h.center.port() > 0);
    assert.equal((await h.call('GET', '/healthz')).status, 200);
    assert.equal((await h.call('GET', '/readyz')).status, 200);
    await h.close();
    await h.center.stop();
    await assert.rejects(fetch(h.center.url() + '/healthz'));
  });

  test('auth: 401 without or with a bad key, 404 unknown app, admin token works', () =>
    withCenter(async (h) => {
      const body = { to: { devices: ['d1'] }, payload: 1 };
      const no = await h.call('POST', '/v1/apps/app1/messages', body, '');
      assert.equal(no.status, 401);
      assert.equal(no.body.error.code, 'unauthorized');
      assert.equal((await h.call('POST', '/v1/apps/app1/messages', body, 'nope')).status, 401);
      assert.equal((await h.call('POST', '/v1/apps/app1/messages', body, APP2.apiKeys[0])).status, 401);
      const unknown = await h.call('POST', '/v1/apps/zzz/messages', body);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'unknown_app');
      // An unknown app is not revealed to a caller without a valid key.
      assert.equal((await h.call('POST', '/v1/apps/zzz/messages', body, 'nope')).status, 401);
      assert.equal((await h.call('POST', '/v1/apps/app1/messages', body, ADMIN)).status, 202);
      assert.equal((await h.call('POST', '/v1/apps/app2/messages', body, APP2.apiKeys[0])).status, 202);
    }));

  test('device push: 202, stored, one batch per room', () =>
    withCenter(async (h) => {
      await h.sessions.register([session('d1', 'r1'), session('d2', 'r2'), session('d3', 'r1')]);
      const res = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['d1', 'd2', 'd3', 'd4', 'd1'] }, payload: { hi: 'there' } });
      assert.equal(res.status, 202);
      assert.match(res.body.id, /^[0-9a-f]{32}$/);
      assert.equal(res.body.targets, 4);
      for (const d of ['d1', 'd2', 'd3', 'd4']) {
        const pending = await h.saver.pending('app1', d);
        assert.deepEqual(pending.map((m) => m.id), [res.body.id], `pending of ${d}`);
        assert.equal(text(pending[0].payload), '{"hi":"there"}');
        assert.equal(pending[0].kind, 'unicast');
      }
      await until('two room batches', () => h.rooms.batches.length === 2);
      const r1 = h.rooms.batches.filter((b) => b.roomId === 'r1');
      const r2 = h.rooms.batches.filter((b) => b.roomId === 'r2');
      assert.equal(r1.length, 1);
      assert.deepEqual(r1[0].batch.map((d) => [d.device, d.connId]).sort(), [['d1', 'c-d1'], ['d3', 'c-d3']]);
      assert.deepEqual(r2[0].batch.map((d) => d.device), ['d2']);
      assert.equal(r1[0].batch[0].message.id, res.body.id);
      assert.equal(r1[0].batch[0].message.qos, 1);
    }));

  test('lookups and room batches follow lookupBatch', () =>
    withCenter(
      async (h) => {
        const devices = ['a', 'b', 'c', 'd', 'e'];
        await h.sessions.register(devices.map((d) => session(d, 'r1')));
        assert.equal((await h.call('POST', '/v1/apps/app1/messages', { to: { devices }, payload: 'x' })).status, 202);
        await until('three batches', () => h.rooms.batches.length === 3);
        assert.deepEqual(h.rooms.batches.map((b) => b.batch.length), [2, 2, 1]);
      },
      { config: { lookupBatch: 2 } },
    ));

  test('user push reaches every device of the user; offline ones stay pending', () =>
    withCenter(async (h) => {
      await h.sessions.register([session('p1', 'r1', 'u1'), session('p2', 'r2', 'u1'), session('p3', 'r1', 'u1'), session('x', 'r1', 'u2')]);
      await h.sessions.unregister([{ app: 'app1', device: 'p3', connId: 'c-p3' }]);
      const res = await h.call('POST', '/v1/apps/app1/messages', { to: { users: ['u1'] }, payloadBase64: Buffer.from([1, 2, 255]).toString('base64') });
      assert.equal(res.status, 202);
      assert.equal(res.body.targets, 3);
      await until('two batches', () => h.rooms.batches.length === 2);
      const got = h.rooms.batches.flatMap((b) => b.batch.map((d) => `${b.roomId}:${d.device}`)).sort();
      assert.deepEqual(got, ['r1:p1', 'r2:p2']);
      assert.equal(h.rooms.batches[0].batch[0].message.kind, 'user');
      assert.deepEqual([...h.rooms.batches[0].batch[0].message.payload], [1, 2, 255]);
      const offline = await h.saver.pending('app1', 'p3');
      assert.deepEqual(offline.map((m) => m.id), [res.body.id]);
      assert.deepEqual(await h.saver.pending('app1', 'x'), []);
    }));

  test('qos 0 is delivered online but not stored; ttl 0 is not kept for later', () =>
    withCenter(async (h) => {
      await h.sessions.register([session('d1', 'r1')]);
      const q0 = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['d1', 'd2'] }, payload: 1, qos: 0 });
      assert.equal(q0.status, 202);
      await until('one batch', () => h.rooms.batches.length === 1);
      assert.equal(h.rooms.batches[0].batch[0].message.qos, 0);
      assert.deepEqual(await h.saver.pending('app1', 'd1'), []);
      assert.deepEqual(await h.saver.pending('app1', 'd2'), []);
      const t0 = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['d2'] }, payload: 1, ttl: 0 });
      assert.equal(t0.status, 202);
      assert.equal((await h.saver.status('app1', t0.body.id))?.expires, 0);
    }));

  test('message status: counts, 404 for an unknown id or another app', () =>
    withCenter(async (h) => {
      const res = await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['a', 'b', 'c'] }, payload: 1, ttl: 60 });
      const st = await h.call('GET', `/v1/apps/app1/messages/${res.body.id}`);
      assert.equal(st.status, 200);
      assert.equal(st.body.id, res.body.id);
      assert.equal(st.body.targets, 3);
      assert.equal(st.body.state, 'pending');
      assert.equal(st.body.acked, 0);
      assert.equal(st.body.expires - st.body.created, 60_000);
      const missing = await h.call('GET', '/v1/apps/app1/messages/00000000000000000000000000000000');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'unknown_message');
      assert.equal((await h.call('GET', `/v1/apps/app2/messages/${res.body.id}`, undefined, APP2.apiKeys[0])).status, 404);
      assert.equal((await h.call('GET', `/v1/apps/app1/messages/${'x'.repeat(65)}`)).body.error.code, 'bad_id');
    }));

  test('device and user status', () =>
    withCenter(async (h) => {
      await h.sessions.register([session('p1', 'r1', 'u1'), session('p2', 'r2', 'u1')]);
      await h.sessions.unregister([{ app: 'app1', device: 'p2', connId: 'c-p2' }]);
      const on = await h.call('GET', '/v1/apps/app1/devices/p1');
      assert.deepEqual(on.body, { device: 'p1', online: true, room: 'r1', since: 1_700_000_000_000, user: 'u1', tags: [] });
      assert.deepEqual((await h.call('GET', '/v1/apps/app1/devices/p2')).body, { device: 'p2', online: false, tags: [] });
      const u = await h.call('GET', '/v1/apps/app1/users/u1');
      assert.equal(u.status, 200);
      assert.deepEqual(u.body.devices.sort((a: { device: string }, b: { device: string }) => a.device.localeCompare(b.device)), [
        { device: 'p1', online: true, room: 'r1' },
        { device: 'p2', online: false },
      ]);
      assert.deepEqual((await h.call('GET', '/v1/apps/app1/users/nobody')).body, { user: 'nobody', devices: [] });
      assert.equal((await h.call('GET', `/v1/apps/app1/devices/${'d'.repeat(129)}`)).body.error.code, 'bad_id');
      assert.equal((await h.call('GET', '/v1/apps/app1/devices/p1', undefined, '')).status, 401);
    }));

  test('token minting: verifies with the app secret', () =>
    withCenter(async (h) => {
      const before = Date.now();
      const res = await h.call('POST', '/v1/apps/app1/tokens', { device: 'd1', uid: 'u1', ttl: 120 });
      assert.equal(res.status, 200);
      const claims = verifyToken(res.body.token, APP1.secret);
      assert.equal(claims.sub, 'd1');
      assert.equal(claims.app, 'app1');
      assert.equal(claims.uid, 'u1');
      assert.equal(res.body.expires, claims.exp * 1000);
      assert.ok(res.body.expires >= before + 119_000 && res.body.expires <= Date.now() + 121_000);
      assert.throws(() => verifyToken(res.body.token, APP2.secret));
      const def = await h.call('POST', '/v1/apps/app1/tokens', { device: 'd2' });
      assert.equal(verifyToken(def.body.token, APP1.secret).uid, undefined);
      for (const [body, code] of [
        [{}, 'bad_device'],
        [{ device: 5 }, 'bad_device'],
        [{ device: 'd', uid: '' }, 'bad_uid'],
        [{ device: 'd', ttl: 0 }, 'bad_ttl'],
        [{ device: 'd', ttl: 'x' }, 'bad_ttl'],
        [{ device: 'd', extra: 1 }, 'bad_request'],
        [[], 'bad_request'],
      ] as const) {
        const bad = await h.call('POST', '/v1/apps/app1/tokens', body);
        assert.equal(bad.status, 400, JSON.stringify(body));
        assert.equal(bad.body.error.code, code, JSON.stringify(body));
      }
    }));

  test('metrics count accepted pushes by kind', () =>
    withCenter(async (h) => {
      await h.call('POST', '/v1/apps/app1/messages', { to: { devices: ['a', 'b'] }, payload: 1 });
      await h.call('POST', '/v1/apps/app1/messages', { to: { users: ['u'] }, payload: 1 });
      const m = await h.call('GET', '/metrics');
      assert.match(m.body, /herald_center_pushes_total\{kind="unicast"\} 1/);
      assert.match(m.body, /herald_center_pushes_total\{kind="user"\} 1/);
      assert.match(m.body, /herald_center_push_targets_total\{kind="unicast"\} 2/);
    }));
});
