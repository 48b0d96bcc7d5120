/**
 * Runs a full garbage collection now, without a command-line flag: globalThis.gc when node
 * runs with --expose-gc, else V8's gc extension switched on at run time and taken from a fresh
 * context (the switch only affects contexts made after it, so the process's own stays as it is).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let cached: (() => void) | undefined;

export function fullGc(): void {
  gcFunction()();
}

function gcFunction(): () => void {
  if (cached) return cached;
  const own = (globalThis as { gc?: () => void }).gc;
  if (typeof own === 'function') return (cached = own);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  if (typeof gc !== 'function') throw new Error('full-gc: V8 gave no gc function');
  return (cached = gc);
}
