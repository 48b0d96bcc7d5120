import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackoff } from './backoff';

test('delays grow by the factor up to maxMs and reset', () => {
  const b = createBackoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  assert.equal(b.attempts, 6);
  b.reset();
  assert.equal(b.attempts, 0);
  assert.equal(b.next(), 100);
});

test('jitter draws from [base * (1 - jitter), base]', () => {
  const lo = createBackoff({ initialMs: 1000, jitter: 0.5 }, () => 0.999999);
  const hi = createBackoff({ initialMs: 1000, jitter: 0.5 }, () => 0);
  assert.equal(lo.next(), 500);
  assert.equal(hi.next(), 1000);
  const real = createBackoff({ initialMs: 1000, maxMs: 1000, jitter: 0.5 });
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const d = real.next();
    assert.ok(d >= 500 && d <= 1000, `${d} in bounds`);
    seen.add(d);
  }
  assert.ok(seen.size > 20, 'delays differ');
});

test('bad options are rejected with the option name', () => {
  assert.throws(() => createBackoff({ initialMs: -1 }), /initialMs/);
  assert.throws(() => createBackoff({ initialMs: 100, maxMs: 50 }), /maxMs/);
  assert.throws(() => createBackoff({ jitter: 2 }), /jitter/);
});
