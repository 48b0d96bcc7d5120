import assert from 'node:assert/strict';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { test } from 'node:test';
import { fullGc } from '../../shared/lifecycle/full-gc';
import { cHeapAfterFree, onGlibc } from '../../shared/testing/c-heap-child';
import { createCompactor, eventLoopLoad } from './compact';
import { eventually, startRoom, TestClient, token } from './test-harness';

function counted(afterChanges: number, quietMs = 1000) {
  let gcs = 0;
  const c = createCompactor({ afterChanges, quietMs, followMs: 0 }, () => void gcs++, () => 0);
  return { c, gcs: () => gcs };
}

test('after a storm of connects, one full GC once a window is quiet; none while it goes on', () => {
  const { c, gcs } = counted(1000);
  assert.equal(typeof c.tick(1000), 'number', 'once soon after start');
  let now = 1000;
  // 3 s of 500 connects a second: 1,500 changes, never a quiet window.
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < 500; i++) c.changed();
    now += 1000;
    assert.equal(c.tick(now), undefined, `second ${s}: still storming`);
  }
  // A trickle (under 1% of afterChanges per window) counts as quiet.
  for (let i = 0; i < 5; i++) c.changed();
  now += 1000;
  assert.equal(typeof c.tick(now), 'number', 'compacted, answering the pause');
  assert.equal(gcs(), 2);
  now += 1000;
  assert.equal(c.tick(now), undefined, 'once per storm');
  assert.equal(gcs(), 2);
});

test('a second GC followMs after the first while the room stays quiet; none when a storm came meanwhile', () => {
  let gcs = 0;
  const c = createCompactor({ afterChanges: 1000, quietMs: 1000, followMs: 6000 }, () => void gcs++, () => 0);
  const storm = (n: number): void => {
    for (let i = 0; i < n; i++) c.changed();
  };
  let now = 0;
  const tick = (): number | undefined => c.tick((now += 1000));
  assert.equal(typeof tick(), 'number', 'after start');
  for (let s = 1; s < 6; s++) assert.equal(tick(), undefined, `second ${s}: waiting for the follow-up`);
  assert.equal(typeof tick(), 'number', 'the follow-up, 6 s later');
  assert.equal(gcs, 2);
  for (let s = 0; s < 10; s++) assert.equal(tick(), undefined, 'then nothing while nothing happens');
  storm(2000);
  assert.equal(tick(), undefined, 'storming');
  assert.equal(typeof tick(), 'number', 'after the storm');
  storm(5);
  for (let s = 1; s < 6; s++) assert.equal(tick(), undefined);
  assert.equal(typeof tick(), 'number', 'a trickle meanwhile: still the follow-up');
  assert.equal(gcs, 4);
  storm(2000);
  assert.equal(tick(), undefined, 'storming');
  assert.equal(typeof tick(), 'number', 'after the next storm');
  for (let s = 1; s < 5; s++) assert.equal(tick(), undefined);
  storm(500);
  assert.equal(tick(), undefined, 'connects going on');
  assert.equal(tick(), undefined, 'more than a trickle since the last GC: no follow-up');
  assert.equal(gcs, 5);
  storm(500);
  assert.equal(tick(), undefined);
  assert.equal(typeof tick(), 'number', 'the 1,000 changes since then get their own compaction');
});

test('no GC while the room is busy: the compaction and its follow-up wait for a window of low load', () => {
  let gcs = 0;
  let busy = 0.9;
  const c = createCompactor({ afterChanges: 1000, quietMs: 1000, followMs: 3000 }, () => void gcs++, () => busy);
  let now = 0;
  const tick = (): number | undefined => c.tick((now += 1000));
  for (let s = 0; s < 5; s++) assert.equal(tick(), undefined, 'busy: not even the one after start');
  busy = 0.1;
  assert.equal(typeof tick(), 'number', 'idle again');
  busy = 0.6;
  for (let s = 0; s < 6; s++) assert.equal(tick(), undefined, 'the follow-up is due but the room is busy');
  busy = 0.2;
  assert.equal(typeof tick(), 'number', 'the follow-up at the first idle window');
  assert.equal(gcs, 2);
  for (let s = 0; s < 5; s++) assert.equal(tick(), undefined);
  assert.equal(gcs, 2);
});

test('eventLoopLoad measures the share of time the loop ran since the last call', async () => {
  const load = eventLoopLoad();
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(load() < 0.5, 'waiting on a timer is idle');
  const end = performance.now() + 200;
  while (performance.now() < end) {
    // spin: the loop is busy
  }
  assert.ok(load() > 0.8, 'a busy loop is busy');
});

test('fewer changes than afterChanges: only the one after start; afterChanges 0: never', () => {
  const small = counted(1000);
  small.c.tick(1000);
  for (let i = 0; i < 999; i++) small.c.changed();
  for (let t = 2000; t <= 10_000; t += 1000) small.c.tick(t);
  assert.equal(small.gcs(), 1);
  const off = counted(0);
  for (let i = 0; i < 100_000; i++) off.c.changed();
  for (let t = 1000; t <= 10_000; t += 1000) off.c.tick(t);
  assert.equal(off.gcs(), 0);
});

test('compactHeaps gives the C heap\'s free pages back a moment after its GC', { skip: !onGlibc() }, () => {
  const compact = JSON.stringify(require.resolve('./compact'));
  const r = cHeapAfterFree(`const c = require(${compact}); c.compactHeaps(); await new Promise((res) => setTimeout(res, c.TRIM_DELAY_MS + 300));`);
  assert.ok(r.freed - r.after > 64 * 1024 * 1024, `RSS fell by ${((r.freed - r.after) / 1048576).toFixed(0)} MB (from ${(r.freed / 1048576).toFixed(0)} MB)`);
});

test('fullGc collects garbage without --expose-gc', () => {
  const withJunk = ((): number => {
    const junk = Array.from({ length: 300_000 }, (_v, i) => ({ i }));
    assert.ok(junk.length > 0);
    return process.memoryUsage().heapUsed;
  })();
  fullGc();
  assert.ok(process.memoryUsage().heapUsed < withJunk - 5 * 1024 * 1024, 'the 300,000 objects are gone');
});

test('a room runs a full GC and its follow-up after a storm of connects and closes has passed', async () => {
  const major: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major.push(e);
  });
  obs.observe({ entryTypes: ['gc'] });
  const h = await startRoom({ compactAfterChanges: 6, compactQuietMs: 50, compactFollowMs: 400, sweepIntervalMs: 20 });
  const count = async (): Promise<number> => Number(/herald_room_compaction_seconds_count\{room="[^"]+"\} (\d+)/.exec(await h.metrics.metrics())?.[1] ?? 0);
  try {
    await eventually(async () => (await count()) === 2, 3000, 'the compaction after start and its follow-up');
    major.length = 0;
    for (const d of ['c1', 'c2', 'c3']) {
      const { client } = await TestClient.authed(h.url, [token(d)]);
      client.close();
      await client.closed;
    }
    await eventually(async () => (await count()) === 3, 3000, 'one compaction after the storm');
    await eventually(() => major.length > 0, 1000, 'a major GC');
    await eventually(async () => (await count()) === 4, 3000, 'its follow-up');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await count(), 4, 'then no more: the room is quiet, nothing more to give back');
  } finally {
    obs.disconnect();
    await h.stop();
  }
});

test('due() is true from a storm until its follow-up GC has run, and false at rest', () => {
  const c = createCompactor({ afterChanges: 1000, quietMs: 1000, followMs: 3000 }, () => undefined, () => 0);
  let now = 0;
  const tick = (): number | undefined => c.tick((now += 1000));
  assert.equal(c.due(), true, 'the one after start is due');
  assert.equal(typeof tick(), 'number');
  assert.equal(c.due(), true, 'its follow-up is still to come');
  for (let s = 0; s < 2; s++) assert.equal(tick(), undefined);
  assert.equal(typeof tick(), 'number', 'the follow-up');
  assert.equal(c.due(), false, 'at rest');
  for (let i = 0; i < 999; i++) c.changed();
  assert.equal(c.due(), false, 'under afterChanges');
  c.changed();
  assert.equal(c.due(), true, 'a storm of afterChanges');
  const none = createCompactor({ afterChanges: 0, quietMs: 1000, followMs: 3000 }, () => undefined, () => 0);
  none.changed();
  assert.equal(none.due(), false, 'compaction off: never due');
});
