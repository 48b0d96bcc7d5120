import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseOptions, type LoadOptions } from './options';
import { runLoad } from './run';
import { hold } from './scenarios/hold';
import { unicast } from './scenarios/unicast';

describe('loadtest', () => {
  test('hold: 20 devices for 2 s against a standalone child writes a JSON result and an HTML report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-loadtest-'));
    try {
      const o = parseOptions(['hold', '--devices', '20', '--duration', '2', '--connect-rate', '200', '--report', dir, '--deadline', '90']) as LoadOptions;
      const lines: string[] = [];
      const { json, html } = await runLoad(o, { scenario: hold, out: (l) => lines.push(l) });
      const result = JSON.parse(readFileSync(json, 'utf8')) as { summary: Record<string, unknown>; timeline: unknown[] };
      assert.equal(result.summary.failure, undefined, `run failed: ${String(result.summary.failure)}\n${lines.join('\n')}`);
      assert.equal(result.summary.connected, 20);
      assert.equal(result.summary.connectedAtEnd, 20);
      assert.equal(result.summary.connectedAtMid, 10, 'the ramp runs in two halves');
      assert.equal(typeof result.summary.rssMidBytes, 'number');
      assert.equal(result.summary.errorCount, 0, JSON.stringify(result.summary.errors));
      assert.equal(result.summary.drops, 0);
      assert.ok(result.timeline.length >= 2, 'a sample every second');
      assert.equal(typeof result.summary.rssHeldBytes, 'number', 'server RSS read from /proc');
      assert.ok(existsSync(html));
      const page = readFileSync(html, 'utf8');
      assert.match(page, /<svg[^>]*>/);
      assert.doesNotMatch(page, /<script/i, 'self-contained: no scripts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unicast --warmup: the warm-up pushes arrive but stay out of the latency figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-loadtest-'));
    try {
      const o = parseOptions(['unicast', '--devices', '20', '--rate', '100', '--duration', '2', '--warmup', '1', '--report', dir, '--deadline', '90']) as LoadOptions;
      const lines: string[] = [];
      const { result } = await runLoad(o, { scenario: unicast, out: (l) => lines.push(l) });
      const s = result.summary as Record<string, number | null | undefined>;
      assert.equal(s.failure, undefined, `run failed: ${String(s.failure)}\n${lines.join('\n')}`);
      assert.equal(s.warmupSeconds, 1);
      assert.ok(s.pushSeconds !== undefined && s.pushSeconds !== null && s.pushSeconds >= 2.9, `pushed through warm-up and duration (${s.pushSeconds} s)`);
      assert.equal(s.missing, 0);
      assert.equal(s.totalDeliveries, s.pushesAccepted, 'every accepted push arrived, warm-up included');
      assert.equal(typeof s.latencyP99AfterWarmupMs, 'number');
      assert.ok(s.latencyP99AfterWarmupMs! <= s.latencyMaxMs!, 'a percentile of what arrived');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('options: --warmup is whole seconds from 0 to 600', () => {
    assert.equal((parseOptions(['unicast']) as LoadOptions).warmupMs, 0);
    assert.equal((parseOptions(['unicast', '--warmup', '3']) as LoadOptions).warmupMs, 3000);
    assert.throws(() => parseOptions(['unicast', '--warmup', '1.5']), /--warmup: must be an integer from 0 to 600/);
  });

  test('options: targets outside 127.0.0.0/8 need --allow-remote and an explicit address', () => {
    assert.throws(() => parseOptions(['hold', '--target', 'room=ws://10.0.0.5:8090/ws,center=http://10.0.0.5:8080']), /only 127\.0\.0\.0\/8/);
    assert.throws(() => parseOptions(['hold', '--allow-remote', '--target', 'room=ws://example.com/ws,center=http://example.com']), /explicit IP address/);
    const o = parseOptions(['hold', '--allow-remote', '--target', 'room=ws://10.0.0.5:8090/ws,center=http://10.0.0.5:8080']) as LoadOptions;
    assert.equal(o.roomUrl, 'ws://10.0.0.5:8090/ws');
    assert.throws(() => parseOptions(['nope']), /give one scenario/);
    assert.throws(() => parseOptions(['hold', '--devices', '20000', '--workers', '2']), /more than 8000/);
  });
});
