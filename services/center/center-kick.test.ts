import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Session } from '../../shared/contracts/register';
import { CloseCode } from '../../shared/protocol/codes';
import { ADMIN, APP1, type Harness, startCenter, until } from './test-kit';

const session = (device: string, roomId: string, user?: string, app = APP1.id): Session => ({ app, device, roomId, connId: `c-${device}`, since: 1, user });

async function withCenter(fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startCenter();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe('kick', () => {
  test('a device: its room closes the connection with Kicked and the reason', () =>
    withCenter(async (h) => {
      await h.sessions.register([session('d1', 'r1'), session('d2', 'r2')]);
      const res = await h.call('POST', '/v1/apps/app1/devices/d1/kick', { reason: 'abuse' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { kicked: 1 });
      assert.deepEqual(h.rooms.kicks, [{ roomId: 'r1', batch: [{ connId: 'c-d1', code: CloseCode.Kicked, reason: 'abuse' }] }]);
      const offline = await h.call('POST', '/v1/apps/app1/devices/d9/kick');
      assert.deepEqual(offline.body, { kicked: 0 });
      assert.equal(h.rooms.kicks.length, 1);
    }));

  test("a user: each of the user's online devices, one kick per room, default reason", () =>
    withCenter(async (h) => {
      await h.sessions.register([session('d1', 'r1', 'u1'), session('d2', 'r2', 'u1'), session('d3', 'r1', 'u1'), session('d4', 'r1', 'u2'), session('d1', 'r1', 'u1', 'app2')]);
      const res = await h.call('POST', '/v1/apps/app1/users/u1/kick');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { kicked: 3 });
      const r1 = h.rooms.kicks.filter((k) => k.roomId === 'r1');
      assert.equal(r1.length, 1);
      assert.deepEqual(r1[0].batch.map((k) => k.connId).sort(), ['c-d1', 'c-d3']);
      assert.ok(h.rooms.kicks.flatMap((k) => k.batch).every((k) => k.code === CloseCode.Kicked && k.reason === 'kicked by the app'));
    }));

  test('bad input and auth: 400, 401; an unreachable room: 503 naming it', () =>
    withCenter(async (h) => {
      assert.equal((await h.call('POST', '/v1/apps/app1/devices/d1/kick', { reason: 5 })).body.error.code, 'bad_reason');
      assert.equal((await h.call('POST', '/v1/apps/app1/devices/d1/kick', { why: 'x' })).status, 400);
      assert.equal((await h.call('POST', '/v1/apps/app1/devices/d1/kick', [])).status, 400);
      assert.equal((await h.call('POST', '/v1/apps/app1/devices/d1/kick', {}, 'bad-key')).status, 401);
      await h.sessions.register([session('d1', 'r1', 'u1'), session('d2', 'r2', 'u1'), session('d3', 'gone', 'u1')]);
      h.rooms.failing.add('r2');
      const res = await h.call('POST', '/v1/apps/app1/users/u1/kick');
      assert.equal(res.status, 503);
      assert.match(res.body.error.message, /could not reach room\(s\) gone, r2; kicked 1 elsewhere/);
    }));
});

describe('admin: apps, rooms, drain', () => {
  test('PUT an app: routes and statusUrl shown in the app views, validated, removable', () =>
    withCenter(async (h) => {
      const routes = { chat: 'https://example.test/chat', 'geo.v1': 'http://127.0.0.1:9/geo' };
      assert.equal((await h.call('PUT', '/v1/admin/apps/app1', { routes }, APP1.apiKeys[0])).status, 401);
      const put = await h.call('PUT', '/v1/admin/apps/app1', { routes, statusUrl: 'https://example.test/status', singleLogin: true }, ADMIN);
      assert.equal(put.status, 200);
      assert.deepEqual(put.body.app.routes, routes);
      assert.equal(put.body.app.secret, '(redacted)');
      const got = await h.call('GET', '/v1/admin/apps/app1', undefined, ADMIN);
      assert.deepEqual(got.body.app.routes, routes);
      assert.equal(got.body.app.statusUrl, 'https://example.test/status');
      assert.equal(got.body.app.singleLogin, true);
      assert.equal(got.body.app.name, 'App One', 'fields not given stay');
      const bad: [unknown, RegExp][] = [
        [{ routes: { chat: 'ftp://x/' } }, /http or https/],
        [{ routes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`t${i}`, 'http://x/'])) }, /at most 64 routes/],
        [{ secret: 'x'.repeat(30) }, /cannot update "secret"/],
        [{}, /nothing to update/],
        [{ statusUrl: 'javascript:alert(1)' }, /http or https/],
      ];
      for (const [body, re] of bad) {
        const res = await h.call('PUT', '/v1/admin/apps/app1', body, ADMIN);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.error.message, re);
      }
      assert.equal((await h.call('PUT', '/v1/admin/apps/nope', { name: 'x' }, ADMIN)).status, 404);
      const cleared = await h.call('PUT', '/v1/admin/apps/app1', { routes: {}, statusUrl: null }, ADMIN);
      assert.deepEqual(cleared.body.app.routes, {});
      assert.equal(cleared.body.app.statusUrl, undefined);
      const list = await h.call('GET', '/v1/admin/apps', undefined, ADMIN);
      assert.deepEqual(list.body.apps[0].routes, {});
    }));

  test('GET /v1/admin/rooms: the cluster view from the registry', () =>
    withCenter(async (h) => {
      const res = await h.call('GET', '/v1/admin/rooms', undefined, ADMIN);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.rooms.map((r: { id: string }) => r.id), ['r1', 'r2']);
      const r1 = res.body.rooms[0];
      assert.deepEqual([r1.zone, r1.connections, r1.capacity, r1.draining, r1.urls], ['z1', 0, 1000, false, ['ws://127.0.0.1:1/r1']]);
      assert.equal(res.body.capacity, 2000);
      assert.equal((await h.call('GET', '/v1/admin/rooms')).status, 401);
    }));

  test('POST /v1/admin/rooms/:id/drain: 202 and the drain starts; 404 unknown room; 400 bad options', () =>
    withCenter(async (h) => {
      const res = await h.call('POST', '/v1/admin/rooms/r2/drain', { deadlineMs: 5000 }, ADMIN);
      assert.equal(res.status, 202);
      assert.deepEqual(res.body, { room: 'r2', draining: true });
      await until('a drain', () => h.rooms.drains.length === 1);
      assert.deepEqual(h.rooms.drains[0], { roomId: 'r2', opts: { deadlineMs: 5000 } });
      assert.equal((await h.call('POST', '/v1/admin/rooms/r1/drain', undefined, ADMIN)).status, 202);
      assert.equal((await h.call('POST', '/v1/admin/rooms/zz/drain', {}, ADMIN)).body.error.code, 'unknown_room');
      assert.equal((await h.call('POST', '/v1/admin/rooms/r1/drain', { deadlineMs: -1 }, ADMIN)).body.error.code, 'bad_drain');
      assert.equal((await h.call('POST', '/v1/admin/rooms/r1/drain', { now: true }, ADMIN)).status, 400);
      assert.equal((await h.call('POST', '/v1/admin/rooms/r1/drain', {}, APP1.apiKeys[0])).status, 401);
      assert.equal(h.rooms.drains.length, 2);
    }));
});
