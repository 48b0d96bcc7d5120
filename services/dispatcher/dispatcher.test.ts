import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../shared/config/config';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import type { RoomInfo, RoomRegistry } from '../../shared/room-registry/room-registry';
import { dispatcherSchema, type DispatcherConfig } from './config';
import { createDispatcher, type Dispatcher } from './dispatcher';

const log = createLogger({}, 'error');
type Announce = Omit<RoomInfo, 'updatedAt'>;

function room(id: string, extra: Partial<Announce> = {}): Announce {
  return { id, urls: [`ws://127.0.0.1:9/${id}`, `ws://alt/${id}`], zone: 'z1', networks: [], connections: 0, capacity: 1000, draining: false, ...extra };
}

interface Body {
  rooms: { id: string; url: string; zone: string }[];
  error: { code: string; message: string };
}

interface Fixture {
  d: Dispatcher;
  get(query: string): Promise<{ status: number; body: Body }>;
  ids(query: string): Promise<string[]>;
}

async function withDispatcher(
  rooms: Announce[],
  fn: (f: Fixture) => Promise<void>,
  opts: { config?: Partial<DispatcherConfig>; registry?: RoomRegistry } = {},
): Promise<void> {
  const registry = opts.registry ?? createMemoryRoomRegistry();
  for (const r of rooms) await registry.announce(r, 60_000);
  const config = loadConfig('dispatcher', dispatcherSchema, { port: 0, cacheMs: 0, ...opts.config }, {});
  const d = createDispatcher(config, { registry, log, metrics: createRegistry() });
  await d.start();
  const get = async (query: string) => {
    const res = await fetch(`${d.url()}/v1/dispatch?${query}`);
    return { status: res.status, body: (await res.json()) as Body };
  };
  const ids = async (query: string) => {
    const r = await get(query);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.rooms.map((x) => x.id);
  };
  try {
    await fn({ d, get, ids });
  } finally {
    await d.stop();
    await registry.close();
  }
}

const five = ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) => room(id));

describe('dispatcher', () => {
  test('starts on a free port, serves health, stops twice', async () => {
    const registry = createMemoryRoomRegistry();
    const config = loadConfig('dispatcher', dispatcherSchema, { port: 0 }, {});
    const d = createDispatcher(config, { registry, log, metrics: createRegistry() });
    await d.start();
    assert.ok(d.port() > 0);
    assert.equal(d.url(), `http://127.0.0.1:${d.port()}`);
    assert.equal((await fetch(`${d.url()}/readyz`)).status, 200);
    await d.stop();
    await d.stop();
    await assert.rejects(fetch(`${d.url()}/healthz`));
  });

  test('answers up to maxRooms with url and zone; the same device gets the same first room', () =>
    withDispatcher(five, async ({ get, ids }) => {
      const r = await get('device=dev1&app=a');
      assert.equal(r.status, 200);
      assert.equal(r.body.rooms.length, 3);
      const first = r.body.rooms[0];
      assert.deepEqual(first, { id: first.id, url: `ws://127.0.0.1:9/${first.id}`, zone: 'z1' });
      for (let i = 0; i < 5; i++) assert.deepEqual(await ids('device=dev1&app=a'), r.body.rooms.map((x) => x.id));
      const firsts = new Set<string>();
      for (let i = 0; i < 50; i++) firsts.add((await ids(`device=d${i}&app=a`))[0]);
      assert.ok(firsts.size >= 4, 'different devices land on different rooms');
    }));

  test('draining and excluded rooms are left out', () =>
    withDispatcher([...five.slice(0, 4), room('r5', { draining: true })], async ({ ids }) => {
      for (let i = 0; i < 30; i++) {
        assert.deepEqual((await ids(`device=d${i}&app=a&exclude=r1,%20r2`)).sort(), ['r3', 'r4']);
      }
    }));

  test('zone filter, fallback to all zones, and failed=all prefers other zones', () =>
    withDispatcher(
      [room('a1'), room('a2'), room('b1', { zone: 'z2' }), room('b2', { zone: 'z2' })],
      async ({ ids }) => {
        assert.deepEqual((await ids('device=x&app=a&zone=z2')).sort(), ['b1', 'b2']);
        assert.equal((await ids('device=x&app=a&zone=nowhere')).length, 3);
        for (let i = 0; i < 20; i++) {
          const got = await ids(`device=d${i}&app=a&zone=z1&failed=all&exclude=a2`);
          assert.deepEqual(got.slice(0, 2).sort(), ['b1', 'b2']);
          assert.deepEqual(got.slice(2), ['a1']);
        }
      },
      { config: { maxRooms: 3, zone: 'z1' } },
    ).then(() =>
      withDispatcher([room('a1'), room('b1', { zone: 'z2' })], async ({ ids }) => {
        assert.deepEqual(await ids('device=x&app=a'), ['b1'], 'the configured zone applies when none is given');
      }, { config: { zone: 'z2' } }),
    ));

  test('network filter: listed networks, rooms serving all, fallback when none serves it', () =>
    withDispatcher(
      [room('w', { networks: ['wifi'] }), room('c', { networks: ['cellular'] }), room('any')],
      async ({ ids }) => {
        assert.deepEqual((await ids('device=x&app=a&network=wifi')).sort(), ['any', 'w']);
        assert.deepEqual((await ids('device=x&app=a&network=cellular')).sort(), ['any', 'c']);
        assert.deepEqual((await ids('device=x&app=a&network=ethernet')), ['any'], 'a room serving all beats the fallback');
        assert.deepEqual((await ids('device=x&app=a&network=ethernet&exclude=any')).sort(), ['c', 'w'], 'no room serves it: any network');
      },
    ));

  test('bad requests get a 400 with a clear JSON error', () =>
    withDispatcher(five, async ({ get }) => {
      const cases: [string, RegExp][] = [
        ['app=a', /device is required/],
        ['device=d', /app is required/],
        [`device=d&app=${'x'.repeat(300)}`, /app must be at most/],
        ['device=d&app=a&network=5g', /network must be one of/],
        [`device=d&app=a&exclude=${Array.from({ length: 40 }, (_, i) => `r${i}`).join(',')}`, /exclude lists more than/],
        ['device=d&app=a&failed=some', /failed must be/],
      ];
      for (const [query, message] of cases) {
        const r = await get(query);
        assert.equal(r.status, 400, query);
        assert.equal(r.body.error.code, 'bad_request');
        assert.match(r.body.error.message, message);
      }
    }));

  test('503 no_rooms when nothing is available', () =>
    withDispatcher([room('r1', { draining: true }), room('r2')], async ({ get }) => {
      const r = await get('device=d&app=a&exclude=r2');
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'no_rooms');
    }).then(() =>
      withDispatcher([], async ({ get }) => {
        assert.equal((await get('device=d&app=a')).body.error.code, 'no_rooms');
      }),
    ));

  test('caches the room list for cacheMs and survives a registry failure', async () => {
    const inner = createMemoryRoomRegistry();
    let failing = false;
    let reads = 0;
    const registry: RoomRegistry = {
      announce: (i, t) => inner.announce(i, t),
      withdraw: (id) => inner.withdraw(id),
      list: async () => {
        reads++;
        if (failing) throw new Error('registry down');
        return inner.list();
      },
      close: () => inner.close(),
    };
    await withDispatcher([room('r1')], async ({ ids, get, d }) => {
      assert.deepEqual(await ids('device=d&app=a'), ['r1']);
      await inner.announce(room('r2'), 60_000);
      assert.deepEqual(await ids('device=d&app=a'), ['r1'], 'cached');
      assert.equal(reads, 1);
      await new Promise((r) => setTimeout(r, 250));
      failing = true;
      assert.deepEqual(await ids('device=d&app=a'), ['r1'], 'stale list on failure');
      const metrics = await (await fetch(`${d.url()}/metrics`)).text();
      assert.match(metrics, /herald_dispatch_requests_total\{result="ok"\} 3/);
      assert.equal((await get('app=a')).status, 400);
    }, { registry, config: { cacheMs: 200 } });
  });

  test('503 registry_unavailable when the registry fails and nothing is cached', async () => {
    const registry: RoomRegistry = {
      announce: async () => undefined,
      withdraw: async () => undefined,
      list: async () => {
        throw new Error('down');
      },
      close: async () => undefined,
    };
    await withDispatcher([], async ({ get }) => {
      const r = await get('device=d&app=a');
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'registry_unavailable');
    }, { registry });
  });
});
