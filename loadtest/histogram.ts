/**
 * A fixed log-scale latency histogram: cheap to fill in a worker, cheap to send over IPC
 * (one array of counts) and to merge in the parent. Bucket i covers
 * [base * growth^i, base * growth^(i+1)) ms, so a percentile read from it is within ~5%.
 */

/** Smallest latency told apart, in ms; anything below lands in bucket 0. */
const base = 0.01;
const growth = 1.05;
/** 0.01 ms .. ~1,000 s. */
export const bucketCount = 380;
const logGrowth = Math.log(growth);

/** Bucket index of a latency in ms (clamped to the range). */
export function bucketOf(ms: number): number {
  if (!(ms > base)) return 0;
  const i = Math.floor(Math.log(ms / base) / logGrowth);
  return i >= bucketCount ? bucketCount - 1 : i;
}

/** Upper edge of bucket i, in ms: what a percentile that falls in it reports. */
export function bucketUpperMs(i: number): number {
  return base * Math.pow(growth, i + 1);
}

export function newHistogram(): Uint32Array {
  return new Uint32Array(bucketCount);
}

/** Adds b into a (both histograms, or b a plain array received over IPC). */
export function mergeInto(a: Uint32Array, b: ArrayLike<number>): void {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) a[i] += b[i];
}

/** a - b, bucket by bucket (b an earlier reading of a). */
export function minus(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = newHistogram();
  for (let i = 0; i < out.length; i++) out[i] = (a[i] ?? 0) - (b[i] ?? 0);
  return out;
}

export function totalOf(h: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < h.length; i++) n += h[i];
  return n;
}

/** The p-th percentile (0..100) in ms, or null for an empty histogram. */
export function percentileOf(h: ArrayLike<number>, p: number): number | null {
  const total = totalOf(h);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= rank) return round2(bucketUpperMs(i));
  }
  return round2(bucketUpperMs(h.length - 1));
}

/** A sparse, JSON-friendly copy: [[bucket, count], ...] for non-empty buckets only. */
export function toSparse(h: Uint32Array): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) out.push([i, h[i]]);
  return out;
}

export function addSparse(h: Uint32Array, sparse: [number, number][]): void {
  for (const [i, n] of sparse) if (i >= 0 && i < h.length) h[i] += n;
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
