/**
 * glibc's malloc_trim(0) through the optional addon native/malloc-trim (built by node-gyp at
 * npm install). free() gives memory back to the system only from the top of the C heap, so a
 * connect storm's freed buffers stay in the process's RSS while a few live allocations sit
 * above them; malloc_trim returns every whole free page. Without the addon (no compiler at
 * install time, or a system without it) this does nothing.
 */
interface TrimAddon {
  trim(): boolean;
}

let addon: TrimAddon | null | undefined;

function load(): TrimAddon | null {
  if (addon !== undefined) return addon;
  try {
    addon = require('herald-malloc-trim') as TrimAddon;
  } catch {
    addon = null;
  }
  return addon;
}

/** Whether the addon is there (it answers false off glibc). */
export function mallocTrimAvailable(): boolean {
  return load() !== null;
}

/** Gives the C heap's free pages back to the system: true when some were; undefined without the addon. */
export function mallocTrim(): boolean | undefined {
  return load()?.trim();
}
