import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page, SessionStore } from '../../../shared/contracts/register';
import type { SessionStoreFactory } from './session-store.contract';
import { InvalidSessionError } from './validate';

type Pager = (cursor: string, count: number) => Promise<Page>;

/** Pages until cursor '' and checks each page's size; answers every device seen, in order. */
async function drain(pager: Pager, count: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor = '';
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await pager(cursor, count);
    assert.ok(page.devices.length <= count, `page of ${page.devices.length} > count ${count}`);
    seen.push(...page.devices);
    if (page.cursor === '') return seen;
    assert.notEqual(page.cursor, cursor, 'cursor must move');
    cursor = page.cursor;
  }
  throw new Error('paging never ended');
}

/** Drains and asserts every expected device came exactly once. */
async function assertPages(pager: Pager, count: number, expected: string[], what: string): Promise<void> {
  const seen = await drain(pager, count);
  assert.equal(new Set(seen).size, seen.length, `${what}: a device came twice: ${seen.join(',')}`);
  assert.deepEqual([...seen].sort(), [...expected].sort(), what);
}

const range = (n: number, name = 'd'): string[] => Array.from({ length: n }, (_, i) => `${name}${String(i).padStart(3, '0')}`);

/** The tag and subscription part of the SessionStore contract, run against every backend. */
export function describeTagIndex(name: string, factory: SessionStoreFactory): void {
  describe(`SessionStore tags and subscriptions: ${name}`, () => {
    async function withStore(fn: (s: SessionStore) => Promise<void>): Promise<void> {
      const store = await factory();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    }

    test('setTags sets, replaces and clears; tagsOf answers sorted distinct tags', () =>
      withStore(async (s) => {
        assert.deepEqual(await s.tagsOf('app1', 'd1'), []);
        await s.setTags('app1', 'd1', ['vip', 'beta', 'vip']);
        assert.deepEqual(await s.tagsOf('app1', 'd1'), ['beta', 'vip']);
        await s.setTags('app1', 'd1', ['beta', 'cn']);
        assert.deepEqual(await s.tagsOf('app1', 'd1'), ['beta', 'cn']);
        const vip = await s.devicesByTags('app1', ['vip'], 'or', '', 10);
        assert.deepEqual(vip, { devices: [], cursor: '' }, 'a replaced tag no longer finds the device');
        assert.deepEqual((await s.devicesByTags('app1', ['cn'], 'or', '', 10)).devices, ['d1']);
        await s.setTags('app1', 'd1', []);
        assert.deepEqual(await s.tagsOf('app1', 'd1'), []);
        assert.deepEqual((await s.devicesByTags('app1', ['beta', 'cn'], 'or', '', 10)).devices, []);
        assert.deepEqual(await s.tagsOf('app2', 'd1'), [], 'apps are separate');
      }));

    test("devicesByTags 'or' is the union and 'and' the intersection of overlapping sets", () =>
      withStore(async (s) => {
        // a: d000..d009, b: d005..d014, c: d008..d009 and d020.
        const all = range(21);
        for (const d of all) {
          const n = Number(d.slice(1));
          const tags = [n < 10 ? 'a' : '', n >= 5 && n < 15 ? 'b' : '', n === 8 || n === 9 || n === 20 ? 'c' : ''].filter(Boolean);
          await s.setTags('app1', d, tags);
        }
        await s.setTags('app2', 'x1', ['a', 'b']);
        const or = (tags: string[]): Pager => (c, n) => s.devicesByTags('app1', tags, 'or', c, n);
        const and = (tags: string[]): Pager => (c, n) => s.devicesByTags('app1', tags, 'and', c, n);
        await assertPages(or(['a', 'b']), 100, range(15), 'a or b');
        await assertPages(or(['a', 'b', 'c']), 100, [...range(15), 'd020'], 'a or b or c');
        await assertPages(and(['a', 'b']), 100, ['d005', 'd006', 'd007', 'd008', 'd009'], 'a and b');
        await assertPages(and(['b', 'a', 'c']), 100, ['d008', 'd009'], 'a and b and c');
        await assertPages(and(['a', 'nobody']), 100, [], 'and with an unknown tag');
        await assertPages(or(['nobody', 'c']), 100, ['d008', 'd009', 'd020'], 'or with an unknown tag');
        await assertPages(and(['c', 'c']), 100, ['d008', 'd009', 'd020'], 'repeated tag');
        await assertPages(or(['a', 'b', 'c']), 3, [...range(15), 'd020'], 'or paged by 3');
        await assertPages(and(['a', 'b']), 2, ['d005', 'd006', 'd007', 'd008', 'd009'], 'and paged by 2');
      }));

    test('paging by 3 over 20 devices yields every device exactly once', () =>
      withStore(async (s) => {
        const devices = range(20);
        for (const d of devices) await s.setTags('app1', d, ['t', 'u']);
        await assertPages((c, n) => s.devicesByTags('app1', ['t'], 'or', c, n), 3, devices, 'one tag');
        await assertPages((c, n) => s.devicesByTags('app1', ['t', 'u'], 'or', c, n), 3, devices, 'or over equal sets');
        await assertPages((c, n) => s.devicesByTags('app1', ['t', 'u'], 'and', c, n), 3, devices, 'and over equal sets');
        await assertPages((c, n) => s.devicesByTags('app1', ['t'], 'or', c, n), 1, devices, 'count 1');
        await assertPages((c, n) => s.devicesByTags('app1', ['t'], 'or', c, n), 20, devices, 'count = size');
      }));

    test('paging covers a large set (beyond compact encodings) exactly once', () =>
      withStore(async (s) => {
        const big = range(700, 'big');
        for (const d of big) await s.setTags('app1', d, d < 'big350' ? ['x', 'y'] : ['y']);
        await assertPages((c, n) => s.devicesByTags('app1', ['y'], 'or', c, n), 37, big, 'y by 37');
        await assertPages((c, n) => s.devicesByTags('app1', ['x', 'y'], 'or', c, n), 50, big, 'x or y by 50');
        await assertPages((c, n) => s.devicesByTags('app1', ['y', 'x'], 'and', c, n), 41, big.slice(0, 350), 'x and y by 41');
      }));

    test('numeric device ids (compact encodings) page exactly once', () =>
      withStore(async (s) => {
        const devices = Array.from({ length: 300 }, (_, i) => String(1000 + i));
        for (const d of devices) await s.subscribe('app1', d, ['n']);
        await assertPages((c, n) => s.subscribers('app1', 'n', c, n), 7, devices, 'numeric by 7');
      }));

    test('devices that stay in a set changing while it is paged are never lost', () =>
      withStore(async (s) => {
        const devices = range(60);
        for (const d of devices) await s.setTags('app1', d, ['t']);
        const seen = new Set<string>();
        let cursor = '';
        let pages = 0;
        do {
          const page = await s.devicesByTags('app1', ['t'], 'or', cursor, 4);
          for (const d of page.devices) seen.add(d);
          cursor = page.cursor;
          // Churn: drop one already-seen device (every other page also the page's last one) and add a new one.
          if (pages < 10 && page.devices.length > 0) {
            await s.setTags('app1', page.devices[0], []);
            if (pages % 2 === 1) await s.setTags('app1', page.devices[page.devices.length - 1], []);
            await s.setTags('app1', `new${pages}`, ['t']);
          }
          pages++;
        } while (cursor !== '' && pages < 1000);
        assert.equal(cursor, '', 'paging ended');
        for (const d of devices) assert.ok(seen.has(d), `${d} was never seen`);
      }));

    test('subscribe and unsubscribe are idempotent; subscriptions are sorted', () =>
      withStore(async (s) => {
        await s.subscribe('app1', 'd1', ['news', 'sports']);
        await s.subscribe('app1', 'd1', ['news', 'weather', 'news']);
        assert.deepEqual(await s.subscriptions('app1', 'd1'), ['news', 'sports', 'weather']);
        await s.unsubscribe('app1', 'd1', ['sports', 'never']);
        await s.unsubscribe('app1', 'd1', ['sports']);
        assert.deepEqual(await s.subscriptions('app1', 'd1'), ['news', 'weather']);
        assert.deepEqual(await s.subscribers('app1', 'sports', '', 10), { devices: [], cursor: '' });
        assert.deepEqual((await s.subscribers('app1', 'news', '', 10)).devices, ['d1']);
        await s.subscribe('app1', 'd1', []);
        await s.unsubscribe('app1', 'd1', []);
        assert.deepEqual(await s.subscriptions('app1', 'd1'), ['news', 'weather']);
        assert.deepEqual(await s.subscriptions('app2', 'd1'), []);
      }));

    test('subscribers pages through a topic exactly once', () =>
      withStore(async (s) => {
        const devices = range(20);
        for (const d of devices) await s.subscribe('app1', d, ['news']);
        await s.subscribe('app1', 'other', ['sports']);
        await s.subscribe('app2', 'd999', ['news']);
        await assertPages((c, n) => s.subscribers('app1', 'news', c, n), 3, devices, 'news by 3');
        assert.deepEqual(await s.subscribers('app1', 'none', '', 3), { devices: [], cursor: '' });
      }));

    test('tags and subscriptions belong to the device and survive its session', () =>
      withStore(async (s) => {
        const session = { app: 'app1', device: 'd1', connId: 'c1', roomId: 'r1', since: 1 };
        await s.register([session]);
        await s.setTags('app1', 'd1', ['vip']);
        await s.subscribe('app1', 'd1', ['news']);
        await s.unregister([{ app: 'app1', device: 'd1', connId: 'c1' }]);
        assert.deepEqual(await s.tagsOf('app1', 'd1'), ['vip']);
        assert.deepEqual(await s.subscriptions('app1', 'd1'), ['news']);
        assert.deepEqual((await s.devicesByTags('app1', ['vip'], 'and', '', 5)).devices, ['d1']);
        assert.deepEqual((await s.subscribers('app1', 'news', '', 5)).devices, ['d1']);
      }));

    test('ids and tags with separators do not collide', () =>
      withStore(async (s) => {
        await s.setTags('a', 'b:c', ['t:1']);
        await s.setTags('a:b', 'c', ['t']);
        await s.subscribe('a', 'b', ['c:d']);
        assert.deepEqual(await s.tagsOf('a', 'b:c'), ['t:1']);
        assert.deepEqual(await s.tagsOf('a:b', 'c'), ['t']);
        assert.deepEqual((await s.devicesByTags('a', ['t'], 'or', '', 5)).devices, []);
        assert.deepEqual((await s.devicesByTags('a', ['t:1'], 'or', '', 5)).devices, ['b:c']);
        assert.deepEqual(await s.subscriptions('a', 'b:c'), []);
      }));

    test('bad input is rejected with a clear error and changes nothing', () =>
      withStore(async (s) => {
        await s.setTags('app1', 'd1', ['keep']);
        const bad = (re: RegExp) => (e: Error) => e instanceof InvalidSessionError && re.test(e.message);
        await assert.rejects(s.setTags('app1', 'd1', ['ok', '']), bad(/tags\[1\].*128/));
        await assert.rejects(s.setTags('app1', 'd1', ['x'.repeat(129)]), bad(/tags\[0\]/));
        await assert.rejects(s.setTags('app1', 'd1', range(65, 't')), bad(/at most 64 distinct tags/));
        await assert.rejects(s.setTags('app1', 'd1', 'vip' as never), bad(/tags must be an array/));
        await assert.rejects(s.setTags('', 'd1', ['a']), bad(/app/));
        await assert.rejects(s.setTags('app1', 'x'.repeat(300), ['a']), bad(/device/));
        assert.deepEqual(await s.tagsOf('app1', 'd1'), ['keep']);
        await s.setTags('app1', 'd1', [...range(64, 't'), 't000']);
        assert.equal((await s.tagsOf('app1', 'd1')).length, 64, '64 distinct tags are fine');
        await assert.rejects(s.devicesByTags('app1', [], 'or', '', 5), bad(/at least one tag/));
        await assert.rejects(s.devicesByTags('app1', ['a'], 'xor' as never, '', 5), bad(/mode/));
        await assert.rejects(s.devicesByTags('app1', ['a'], 'or', '', 0), bad(/count/));
        await assert.rejects(s.devicesByTags('app1', ['a'], 'or', '', 1.5), bad(/count/));
        await assert.rejects(s.devicesByTags('app1', ['a'], 'or', 'garbage', 5), bad(/cursor/));
        await assert.rejects(s.devicesByTags('app1', ['a'], 'or', 9 as never, 5), bad(/cursor/));
        await assert.rejects(s.subscribe('app1', 'd1', [42 as never]), bad(/topics\[0\]/));
        await assert.rejects(s.subscribe('app1', 'd1', range(257, 'p')), bad(/at most 256/));
        await assert.rejects(s.subscribers('app1', '', '', 5), bad(/topic/));
        await assert.rejects(s.subscribers('app1', 'news', 'x.y', 5), bad(/cursor/));
        assert.deepEqual(await s.subscriptions('app1', 'd1'), []);
      }));

    test('subscriptions per device are capped across calls', () =>
      withStore(async (s) => {
        await s.subscribe('app1', 'd1', range(250, 'p'));
        await assert.rejects(s.subscribe('app1', 'd1', range(7, 'q')), /at most 256 subscriptions/);
        await s.subscribe('app1', 'd1', [...range(6, 'q'), 'p000']);
        assert.equal((await s.subscriptions('app1', 'd1')).length, 256);
        assert.deepEqual(await s.subscriptions('app1', 'other'), []);
      }));
  });
}
