import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoomInfo } from '../../shared/room-registry/room-registry';
import { best, toCandidate, type Candidate } from './rank';

function room(id: string, capacity = 1000, connections = 0): Candidate {
  const info: RoomInfo = { id, urls: [`ws://h/${id}`], zone: '', networks: [], connections, capacity, draining: false, updatedAt: 0 };
  return toCandidate(info);
}

function firstCounts(rooms: Candidate[], devices: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < devices; i++) {
    const id = best(rooms, `device-${i}`, 1)[0].info.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

test('the same device gets the same order every time, whatever the input order', () => {
  const rooms = [room('a'), room('b'), room('c'), room('d')];
  const order = best(rooms, 'dev-42', 4).map((c) => c.info.id);
  assert.equal(order.length, 4);
  assert.deepEqual(best([...rooms].reverse(), 'dev-42', 4).map((c) => c.info.id), order);
  assert.deepEqual(best(rooms, 'dev-42', 2).map((c) => c.info.id), order.slice(0, 2));
});

test('3000 devices spread roughly evenly over 3 equal rooms', () => {
  const counts = firstCounts([room('r1'), room('r2'), room('r3')], 3000);
  assert.equal(counts.size, 3);
  for (const [id, n] of counts) assert.ok(n > 850 && n < 1150, `${id} got ${n}`);
});

test('a room with more free capacity attracts proportionally more devices', () => {
  // Free capacity 3000 vs 1000: expect about 75% / 25%.
  const counts = firstCounts([room('big', 4000, 1000), room('small', 4000, 3000)], 4000);
  const big = counts.get('big') ?? 0;
  assert.ok(big > 2800 && big < 3200, `big got ${big} of 4000`);
  // A full room still gets weight 1, so it is tried last rather than never.
  assert.equal(best([room('full', 10, 10), room('free', 10, 0)], 'x', 2).length, 2);
});

test('removing a room moves only the devices that were on it', () => {
  const all = [room('a'), room('b'), room('c'), room('d')];
  const without = all.filter((c) => c.info.id !== 'c');
  let moved = 0;
  for (let i = 0; i < 2000; i++) {
    const before = best(all, `d${i}`, 1)[0].info.id;
    const after = best(without, `d${i}`, 1)[0].info.id;
    if (before !== 'c') assert.equal(after, before);
    else moved++;
  }
  assert.ok(moved > 300, `moved ${moved}`);
});
