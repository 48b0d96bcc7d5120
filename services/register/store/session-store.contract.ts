import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session, SessionStore } from '../../../shared/contracts/register';
import { InvalidSessionError } from './validate';

export interface SessionStoreFactoryOptions {
  sessionTtlSeconds?: number;
  userTtlSeconds?: number;
}

/** Makes a fresh, isolated store (its own key prefix for Redis). */
export type SessionStoreFactory = (opts?: SessionStoreFactoryOptions) => Promise<SessionStore> | SessionStore;

/**
 * Simulates the loss of a store's data (Redis: its keys deleted behind its back; memory: the
 * process restarted) and answers the store to use from then on (the same one, or a new one).
 */
export type LoseData = (store: SessionStore) => Promise<SessionStore>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function session(device: string, connId: string, roomId = 'room-a', extra: Partial<Session> = {}): Session {
  return { app: 'app1', device, connId, roomId, since: 1_700_000_000_000, ...extra };
}

const byDevice = (a: { device: string }, b: { device: string }): number => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0);

/** The SessionStore contract, run against every backend. */
export function describeSessionStore(name: string, factory: SessionStoreFactory, loseData: LoseData): void {
  describe(`SessionStore contract: ${name}`, () => {
    async function withStore(fn: (s: SessionStore) => Promise<void>, opts?: SessionStoreFactoryOptions): Promise<void> {
      const store = await factory(opts);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    }

    test('register then lookupDevices returns online sessions only', () =>
      withStore(async (s) => {
        await s.register([
          session('d1', 'c1', 'room-a', { user: 'u1', platform: 'ios', network: 'wifi' }),
          session('d2', 'c2', 'room-b'),
        ]);
        const got = (await s.lookupDevices('app1', ['d1', 'd2', 'd3'])).sort(byDevice);
        assert.deepEqual(got, [
          session('d1', 'c1', 'room-a', { user: 'u1', platform: 'ios', network: 'wifi' }),
          session('d2', 'c2', 'room-b'),
        ]);
        assert.deepEqual(await s.lookupDevices('app2', ['d1']), [], 'apps are separate');
      }));

    test('register answers the live sessions of other connections it replaced', () =>
      withStore(async (s) => {
        const first = session('d1', 'c1', 'room-a', { user: 'u1', platform: 'ios', network: 'wifi' });
        assert.deepEqual(await s.register([first, session('d2', 'c2')]), [], 'nothing to replace');
        const got = await s.register([session('d1', 'c3', 'room-b'), session('d2', 'c2'), session('d3', 'c4')]);
        assert.deepEqual(got, [first], 'd1 replaced; d2 is the same connection again; d3 is new');
        assert.deepEqual(await s.register([{ ...session('d1', 'c5'), app: 'app2' }]), [], 'apps are separate');
        await s.unregister([{ app: 'app1', device: 'd3', connId: 'c4' }]);
        assert.deepEqual(await s.register([session('d3', 'c6')]), [], 'an unregistered session is not live');
      }));

    test('a session that expired is not answered as replaced', () =>
      withStore(
        async (s) => {
          await s.register([session('d1', 'c1')]);
          await sleep(400);
          assert.deepEqual(await s.register([session('d1', 'c2')]), []);
          assert.deepEqual((await s.register([session('d1', 'c3')])).map((x) => x.connId), ['c2']);
        },
        { sessionTtlSeconds: 0.2 },
      ));

    test('epoch is stable until the data is lost, then changes once', async () => {
      let s = await factory();
      try {
        const e1 = await s.epoch();
        assert.match(e1, /^[0-9a-f]{16}$/);
        await s.register([session('d1', 'c1')]);
        assert.equal(await s.epoch(), e1);
        assert.equal(await s.epoch(), e1);
        s = await loseData(s);
        assert.deepEqual(await s.lookupDevices('app1', ['d1']), [], 'the data is gone');
        const e2 = await s.epoch();
        assert.notEqual(e2, e1);
        assert.equal(await s.epoch(), e2, 'stable again');
        await s.register([session('d1', 'c1')]);
        assert.equal((await s.listRoom('room-a')).length, 1, 'the store works after the loss');
        assert.equal(await s.epoch(), e2);
      } finally {
        await s.close();
      }
    });

    test('unregister with a stale connId is ignored', () =>
      withStore(async (s) => {
        await s.register([session('d1', 'c1')]);
        await s.unregister([{ app: 'app1', device: 'd1', connId: 'c0' }]);
        assert.equal((await s.lookupDevices('app1', ['d1'])).length, 1);
        await s.unregister([{ app: 'app1', device: 'd1', connId: 'c1' }]);
        assert.deepEqual(await s.lookupDevices('app1', ['d1']), []);
        assert.deepEqual(await s.listRoom('room-a'), []);
      }));

    test('last registration wins, and the old connection cannot remove it', () =>
      withStore(async (s) => {
        await s.register([session('d1', 'c1', 'room-a')]);
        await s.register([session('d1', 'c2', 'room-b', { since: 1_700_000_000_500 })]);
        const [got] = await s.lookupDevices('app1', ['d1']);
        assert.equal(got.connId, 'c2');
        assert.equal(got.roomId, 'room-b');
        assert.equal(got.since, 1_700_000_000_500);
        await s.unregister([{ app: 'app1', device: 'd1', connId: 'c1' }]);
        assert.equal((await s.lookupDevices('app1', ['d1'])).length, 1);
        assert.deepEqual(await s.listRoom('room-a'), []);
        assert.deepEqual((await s.listRoom('room-b')).map((x) => x.connId), ['c2']);
      }));

    test('sessions expire after the TTL; touch with the right connId keeps one alive', () =>
      withStore(
        async (s) => {
          await s.register([session('d1', 'c1'), session('d2', 'c2'), session('d3', 'c3')]);
          await sleep(300);
          await s.touch([
            { app: 'app1', device: 'd1', connId: 'c1' },
            { app: 'app1', device: 'd2', connId: 'stale' },
          ]);
          await sleep(300);
          assert.deepEqual((await s.lookupDevices('app1', ['d1', 'd2', 'd3'])).map((x) => x.device), ['d1']);
          assert.deepEqual((await s.listRoom('room-a')).map((x) => x.device), ['d1']);
          await sleep(550);
          assert.deepEqual(await s.lookupDevices('app1', ['d1']), []);
          assert.deepEqual(await s.listRoom('room-a'), []);
        },
        { sessionTtlSeconds: 0.5 },
      ));

    test('userDevices lists every device of each user, online or not', () =>
      withStore(async (s) => {
        await s.register([
          session('d1', 'c1', 'room-a', { user: 'u1' }),
          session('d2', 'c2', 'room-b', { user: 'u1' }),
          session('d3', 'c3', 'room-a', { user: 'u2' }),
          session('d4', 'c4', 'room-a'),
        ]);
        await s.unregister([{ app: 'app1', device: 'd2', connId: 'c2' }]);
        const got = (await s.userDevices('app1', ['u1', 'u2', 'u3'])).sort(byDevice);
        assert.deepEqual(got, [
          { user: 'u1', device: 'd1' },
          { user: 'u1', device: 'd2' },
          { user: 'u2', device: 'd3' },
        ]);
        assert.deepEqual(await s.userDevices('app2', ['u1']), []);
      }));

    test('a device registered with another user leaves the old user', () =>
      withStore(async (s) => {
        await s.register([session('d1', 'c1', 'room-a', { user: 'u1' })]);
        await s.register([session('d1', 'c2', 'room-a', { user: 'u2' })]);
        assert.deepEqual(await s.userDevices('app1', ['u1']), []);
        assert.deepEqual(await s.userDevices('app1', ['u2']), [{ user: 'u2', device: 'd1' }]);
      }));

    test('the user index has its own TTL', () =>
      withStore(
        async (s) => {
          await s.register([session('d1', 'c1', 'room-a', { user: 'u1' })]);
          assert.equal((await s.userDevices('app1', ['u1'])).length, 1);
          await sleep(700);
          assert.deepEqual(await s.userDevices('app1', ['u1']), []);
        },
        { userTtlSeconds: 0.5 },
      ));

    test('listRoom answers the live sessions of one room', () =>
      withStore(async (s) => {
        await s.register([session('d1', 'c1', 'room-a'), session('d2', 'c2', 'room-a'), session('d3', 'c3', 'room-b')]);
        await s.register([{ ...session('d1', 'c1', 'room-b'), app: 'app2' }]);
        // d2 reconnects to the same room on a new connection: one entry, the new one.
        await s.register([session('d2', 'c9', 'room-a')]);
        const a = (await s.listRoom('room-a')).sort(byDevice);
        assert.deepEqual(a.map((x) => [x.app, x.device, x.connId]), [['app1', 'd1', 'c1'], ['app1', 'd2', 'c9']]);
        const b = (await s.listRoom('room-b')).sort(byDevice);
        assert.deepEqual(b.map((x) => [x.app, x.device]), [['app2', 'd1'], ['app1', 'd3']]);
        assert.deepEqual(await s.listRoom('room-none'), []);
      }));

    test('ids with separators do not collide', () =>
      withStore(async (s) => {
        await s.register([{ ...session('b:c', 'c1'), app: 'a' }, { ...session('c', 'c2'), app: 'a:b' }]);
        assert.deepEqual((await s.lookupDevices('a', ['b:c'])).map((x) => x.connId), ['c1']);
        assert.deepEqual((await s.lookupDevices('a:b', ['c'])).map((x) => x.connId), ['c2']);
        assert.equal((await s.listRoom('room-a')).length, 2);
      }));

    test('empty batches are no-ops', () =>
      withStore(async (s) => {
        assert.deepEqual(await s.register([]), []);
        await s.unregister([]);
        await s.touch([]);
        assert.deepEqual(await s.lookupDevices('app1', []), []);
        assert.deepEqual(await s.userDevices('app1', []), []);
        assert.deepEqual(await s.listRoom('room-a'), []);
      }));

    test('bad input is rejected with a clear error and stores nothing', () =>
      withStore(async (s) => {
        const bad = { ...session('d1', 'c1'), roomId: '' };
        await assert.rejects(s.register([session('d0', 'c0'), bad]), (e: Error) => e instanceof InvalidSessionError && /sessions\[1\]\.roomId/.test(e.message));
        assert.deepEqual(await s.lookupDevices('app1', ['d0', 'd1']), []);
        await assert.rejects(s.register(null as never), InvalidSessionError);
        await assert.rejects(s.touch([{ app: 'app1', device: 'x'.repeat(300), connId: 'c' }]), /at most 256/);
        await assert.rejects(s.lookupDevices('app1', [42 as never]), /devices\[0\]/);
        await assert.rejects(s.userDevices('', ['u']), /app/);
      }));

    test('close is safe twice', async () => {
      const s = await factory();
      await s.register([session('d1', 'c1')]);
      await s.close();
      await s.close();
      await assert.rejects(s.epoch(), /closed/);
    });
  });
}
