import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { roomNow } from './clock';

test('the room clock counts whole milliseconds from a day before load', () => {
  const a = roomNow();
  const t0 = Date.now();
  assert.ok(Number.isInteger(a));
  assert.ok(a >= 86_400_000 && a < 2 ** 30, `a day in: ${a}`);
  while (Date.now() < t0 + 20);
  const b = roomNow();
  assert.ok(b - a >= 20 && b - a < 1000, `moves with Date.now(): ${b - a}`);
});

test('the room clock answers a small integer, which V8 stores in a field unboxed', () => {
  // %IsSmi needs --allow-natives-syntax: ask a child node.
  const script = `const { roomNow } = require(${JSON.stringify(require.resolve('./clock'))}); process.stdout.write(String(%IsSmi(roomNow())));`;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'true');
});
