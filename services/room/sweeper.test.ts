import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSweeper, type Sweepable } from './sweeper';

type Item = Sweepable & { name: string };
const item = (name: string, deadline: number): Item => ({ name, deadline, bucket: -1 });

test('expires only items whose deadline passed, in the bucket sweep that reaches them', () => {
  const expired: string[] = [];
  const sweeper = createSweeper<Item>(100, (i) => expired.push(i.name));
  const t0 = Date.now();
  const a = item('a', t0 + 150);
  const b = item('b', t0 + 450);
  sweeper.add(a);
  sweeper.add(b);
  assert.equal(sweeper.size(), 2);
  sweeper.sweep(t0 + 100);
  assert.deepEqual(expired, []);
  sweeper.sweep(t0 + 300);
  assert.deepEqual(expired, ['a']);
  assert.equal(a.bucket, -1);
  sweeper.sweep(t0 + 500);
  assert.deepEqual(expired, ['a', 'b']);
  assert.equal(sweeper.size(), 0);
});

test('a deadline moved later without a call is rechecked and kept (lazy wheel)', () => {
  const expired: string[] = [];
  const sweeper = createSweeper<Item>(100, (i) => expired.push(i.name));
  const t0 = Date.now();
  const a = item('a', t0 + 100);
  sweeper.add(a);
  a.deadline = t0 + 1000;
  sweeper.sweep(t0 + 500);
  assert.deepEqual(expired, []);
  assert.equal(sweeper.size(), 1);
  sweeper.sweep(t0 + 1100);
  assert.deepEqual(expired, ['a']);
});

test('remove() takes an item out; add() twice moves it; a long pause sweeps everything due', () => {
  const expired: string[] = [];
  const sweeper = createSweeper<Item>(10, (i) => expired.push(i.name));
  const t0 = Date.now();
  const a = item('a', t0 + 50);
  const b = item('b', t0 + 5000);
  sweeper.add(a);
  sweeper.add(b);
  sweeper.remove(a);
  sweeper.remove(a);
  b.deadline = t0 + 20;
  sweeper.add(b);
  assert.equal(sweeper.size(), 1);
  sweeper.sweep(t0 + 10_000_000);
  assert.deepEqual(expired, ['b']);
  assert.equal(sweeper.size(), 0);
});
