import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomInfo, RoomRegistry } from './room-registry';

/** Makes a fresh, isolated registry (its own key prefix for Redis). */
export type RoomRegistryFactory = () => Promise<RoomRegistry> | RoomRegistry;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function room(id: string, extra: Partial<RoomInfo> = {}): Omit<RoomInfo, 'updatedAt'> {
  return {
    id,
    urls: [`ws://127.0.0.1:9000/${id}`],
    zone: 'z1',
    networks: [],
    connections: 0,
    capacity: 1000,
    draining: false,
    ...extra,
  };
}

const strip = (r: RoomInfo): Omit<RoomInfo, 'updatedAt'> => {
  const { updatedAt: _ignored, ...rest } = r;
  return rest;
};
const sorted = (rooms: RoomInfo[]): RoomInfo[] => [...rooms].sort((a, b) => (a.id < b.id ? -1 : 1));

/** The RoomRegistry contract, run against every backend. */
export function describeRoomRegistry(name: string, factory: RoomRegistryFactory): void {
  describe(`RoomRegistry contract: ${name}`, () => {
    async function withRegistry(fn: (r: RoomRegistry) => Promise<void>): Promise<void> {
      const reg = await factory();
      try {
        await fn(reg);
      } finally {
        await reg.close();
      }
    }

    test('announce then list answers every field and a fresh updatedAt', () =>
      withRegistry(async (r) => {
        const before = Date.now();
        await r.announce(room('r1', { networks: ['wifi'], rpc: '127.0.0.1:7000', connections: 5, zone: 'z2' }), 10_000);
        await r.announce(room('r2'), 10_000);
        const got = sorted(await r.list());
        assert.deepEqual(got.map(strip), [room('r1', { networks: ['wifi'], rpc: '127.0.0.1:7000', connections: 5, zone: 'z2' }), room('r2')]);
        for (const g of got) assert.ok(g.updatedAt >= before && g.updatedAt <= Date.now());
      }));

    test('an announce replaces the previous one', () =>
      withRegistry(async (r) => {
        await r.announce(room('r1'), 10_000);
        await r.announce(room('r1', { connections: 7, draining: true, urls: ['ws://h:1/ws', 'ws://h:2/ws'] }), 10_000);
        assert.deepEqual((await r.list()).map(strip), [room('r1', { connections: 7, draining: true, urls: ['ws://h:1/ws', 'ws://h:2/ws'] })]);
      }));

    test('withdraw removes a room; withdrawing an unknown room is a no-op', () =>
      withRegistry(async (r) => {
        await r.announce(room('r1'), 10_000);
        await r.announce(room('r2'), 10_000);
        await r.withdraw('r1');
        await r.withdraw('nope');
        assert.deepEqual((await r.list()).map((x) => x.id), ['r2']);
      }));

    test('a room drops out when its TTL passes without a new announce', () =>
      withRegistry(async (r) => {
        await r.announce(room('short'), 200);
        await r.announce(room('long'), 10_000);
        assert.equal((await r.list()).length, 2);
        await sleep(350);
        assert.deepEqual((await r.list()).map((x) => x.id), ['long']);
        await r.announce(room('short'), 10_000);
        assert.deepEqual(sorted(await r.list()).map((x) => x.id), ['long', 'short']);
      }));

    test('bad announcements are rejected with a clear error', () =>
      withRegistry(async (r) => {
        await assert.rejects(r.announce(room(''), 1000), /id must be/);
        await assert.rejects(r.announce(room('r1', { urls: [] }), 1000), /urls/);
        await assert.rejects(r.announce(room('r1', { capacity: -1 }), 1000), /capacity/);
        await assert.rejects(r.announce(room('r1'), 0), /ttlMs/);
        assert.deepEqual(await r.list(), []);
      }));

    test('close is safe twice', async () => {
      const r = await factory();
      await r.announce(room('r1'), 1000);
      await r.close();
      await r.close();
    });
  });
}
