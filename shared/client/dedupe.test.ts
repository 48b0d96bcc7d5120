import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDedupe } from './dedupe';

test('remembers ids and their ack state, evicting the oldest', () => {
  const d = createDedupe(3);
  assert.equal(d.check('a'), 'new');
  assert.equal(d.check('a'), 'pending');
  d.acked('a');
  assert.equal(d.check('a'), 'acked');
  assert.equal(d.check('b'), 'new');
  assert.equal(d.check('c'), 'new');
  assert.equal(d.check('d'), 'new'); // evicts a
  assert.equal(d.size, 3);
  assert.equal(d.check('a'), 'new'); // evicts b
  assert.equal(d.check('c'), 'pending');
  d.forget('c');
  assert.equal(d.check('c'), 'new');
});

test('size 0 disables dedupe; bad sizes throw', () => {
  const d = createDedupe(0);
  assert.equal(d.check('a'), 'new');
  assert.equal(d.check('a'), 'new');
  assert.throws(() => createDedupe(-1), RangeError);
  assert.throws(() => createDedupe(1.5), RangeError);
});
