import { fullGc } from '../../shared/lifecycle/full-gc';
import { mallocTrim } from '../../shared/lifecycle/malloc-trim';

/**
 * Gives back the garbage of a connect storm. Each connect leaves short-lived objects (frames,
 * promises, RPC calls) that outlive a young-generation collection while its calls are in flight,
 * so a ramp of thousands of connects fills the old generation with garbage that V8 keeps until
 * the heap grows further: measured on one room process of a cluster at 15,000 devices, 172 MB RSS
 * right after the ramp against 97 MB once collected. Once `afterChanges` connects + closes have
 * happened and a window of `quietMs` saw hardly any (see quietMs) and found the room mostly
 * idle, the room runs one full collection: a pause of tens of ms, when hardly anything is
 * connecting, and a second one followMs later (see followMs). Once also soon after start.
 * Each one also gives the C heap's free pages back (compactHeaps): the storm's native buffers,
 * freed below live allocations: 2.5-4.5 MB in that room.
 */
export interface Compactor {
  /** A connection opened or closed. */
  changed(): void;
  /** Called by the room's tick: compacts when due; answers the pause in ms, or undefined. */
  tick(now: number): number | undefined;
  /** A compaction or its follow-up is still to come (the storm's garbage is not given back yet). */
  due(): boolean;
}

export interface CompactOptions {
  /** Connects + closes since the last compaction that make one due; 0 = never. */
  afterChanges: number;
  /**
   * The storm is over when a whole window of this length saw fewer than afterChanges / 100
   * changes (a live room always has a trickle of connects), ms.
   */
  quietMs: number;
  /**
   * A second full GC this long after the first (at the first quiet window from then), when fewer
   * than afterChanges / 100 changes came meanwhile; 0 = none. It moves the live objects the
   * first left scattered over old-space pages (V8 picks the pages to evacuate from what the
   * previous GC found), and with the mutator quiet for V8's allocation-rate window (5 s) it also
   * shrinks the young generation back.
   */
  followMs: number;
}

/** Above this share of a window spent running (event-loop utilization), the room is busy: no GC. */
export const BUSY_LOAD = 0.5;

/** The event loop's utilization (0..1) since the previous call. */
export function eventLoopLoad(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const used = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return used;
  };
}

/**
 * load() answers how busy the room was since its previous call (0..1; eventLoopLoad() in the
 * room): a window is quiet only when the room also spent under BUSY_LOAD of it running, so a
 * full GC never lands in the middle of a push or broadcast load (in a standalone process, say).
 */
export function createCompactor(o: CompactOptions, gc: () => void, load: () => number): Compactor {
  const trickle = o.afterChanges / 100;
  // Due at the first quiet window too: what loading the code left behind goes the same way, and
  // the room's memory at rest is then its real baseline.
  let changes = o.afterChanges;
  let windowStart = 0;
  let inWindow = 0;
  let followAt = 0;
  const collect = (): number => {
    const t0 = performance.now();
    gc();
    return performance.now() - t0;
  };
  return {
    changed() {
      changes++;
      inWindow++;
    },
    tick(now) {
      if (now - windowStart < o.quietMs) return undefined;
      // Measured every window, so each reading covers one window.
      const busy = load();
      const quiet = inWindow < trickle && busy < BUSY_LOAD;
      windowStart = now;
      inWindow = 0;
      if (!quiet) return undefined;
      if (followAt > 0 && now >= followAt) {
        followAt = 0;
        // More than a trickle since the last GC: that one's own compaction comes when it is due.
        if (changes < trickle) return collect();
      }
      if (o.afterChanges === 0 || changes < o.afterChanges) return undefined;
      changes = 0;
      if (o.followMs > 0) followAt = now + o.followMs;
      return collect();
    },
    due: () => followAt > 0 || (o.afterChanges > 0 && changes >= o.afterChanges),
  };
}

/**
 * V8 frees the backing stores of the buffers a full GC found dead on its own threads, after
 * the GC returns: the trim comes this much later, so that it finds them freed.
 */
export const TRIM_DELAY_MS = 1000;

/** The room's compaction: a full GC, then malloc_trim a moment later (shared/lifecycle/malloc-trim.ts; nothing without the addon). */
export function compactHeaps(): void {
  fullGc();
  setTimeout(mallocTrim, TRIM_DELAY_MS).unref();
}
