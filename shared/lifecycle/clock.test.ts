import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { clockNow, fromClock, toClock } from './clock';

test('the process clock counts whole milliseconds from a day before load', () => {
  const a = clockNow();
  const t0 = Date.now();
  assert.ok(Number.isInteger(a));
  assert.ok(a >= 86_400_000 && a < 2 ** 30, `a day in: ${a}`);
  while (Date.now() < t0 + 20);
  const b = clockNow();
  assert.ok(b - a >= 20 && b - a < 1000, `moves with Date.now(): ${b - a}`);
});

test('the process clock answers a small integer, which V8 stores in a field unboxed', () => {
  // %IsSmi needs --allow-natives-syntax: ask a child node.
  const script = `const { clockNow } = require(${JSON.stringify(require.resolve('./clock'))}); process.stdout.write(String(%IsSmi(clockNow())));`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'true');
});

test('epoch times go onto the clock and back unchanged', () => {
  const t = Date.now();
  assert.equal(fromClock(toClock(t)), t);
  assert.ok(Math.abs(toClock(t) - clockNow()) < 1000);
});
