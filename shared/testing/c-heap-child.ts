import { spawnSync } from 'node:child_process';

/** RSS of a child that freed 128 MB of C-heap buffers, just after freeing and after `then`. */
export interface FreedHeap {
  freed: number;
  after: number;
}

/**
 * Runs a child node that fills the C heap with 8,000 buffers of 16 KB (under glibc's mmap
 * threshold), keeps one in 64 so that the heap's top stays in use, drops the rest and runs two
 * full GCs: free() then keeps the pages. `then` is an async function body run after that,
 * with `require` at hand; the answer is RSS before and after it.
 */
export function cHeapAfterFree(then: string): FreedHeap {
  const child = `
    (async () => {
      const rss = () => process.memoryUsage.rss();
      const keep = []; let all = [];
      for (let i = 0; i < 8000; i++) { const b = Buffer.allocUnsafeSlow(16384); b.fill(1); all.push(b); if (i % 64 === 0) keep.push(b); }
      all = null; globalThis.gc(); globalThis.gc();
      const freed = rss();
      await (async () => { ${then} })();
      process.stdout.write(JSON.stringify({ freed, after: rss(), kept: keep.length }));
    })();`;
  const out = spawnSync(process.execPath, ['--expose-gc', '-e', child], { encoding: 'utf8', env: { ...process.env, MALLOC_ARENA_MAX: '2' } });
  if (out.status !== 0) throw new Error(`c-heap child failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as FreedHeap;
}

/** True on Linux with glibc, where malloc_trim exists. */
export function onGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return process.platform === 'linux' && Boolean(report?.header?.glibcVersionRuntime);
}
