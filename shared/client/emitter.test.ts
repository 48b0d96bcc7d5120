import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmitter } from './emitter';

test('listeners run in order, can be removed, and a throwing one does not stop the rest', () => {
  const failures: unknown[] = [];
  const e = createEmitter<{ n: number; s: string }>((err) => failures.push(err));
  const got: string[] = [];
  const first = (n: number) => got.push(`first ${n}`);
  e.on('n', first);
  e.on('n', () => {
    throw new Error('boom');
  });
  e.on('n', (n) => got.push(`last ${n}`));
  assert.equal(e.emit('n', 1), false);
  assert.deepEqual(got, ['first 1', 'last 1']);
  assert.equal((failures[0] as Error).message, 'boom');
  e.off('n', first);
  assert.equal(e.count('n'), 2);
  assert.equal(e.emit('s', 'nobody listens'), true);
  e.clear();
  assert.equal(e.count('n'), 0);
});

test('a listener removed during emit still gets the current event, not the next', () => {
  const e = createEmitter<{ x: number }>(() => undefined);
  const got: number[] = [];
  const second = (x: number) => got.push(x);
  e.on('x', () => e.off('x', second));
  e.on('x', second);
  e.emit('x', 1);
  e.emit('x', 2);
  assert.deepEqual(got, [1]);
});
