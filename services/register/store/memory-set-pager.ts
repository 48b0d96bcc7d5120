import type { Page } from '../../../shared/contracts/register';
import { InvalidSessionError } from './validate';
import { parseCursor } from './validate-tags';

/**
 * Where a page stops: index of the set being walked, position inside it, and a hash of the
 * device just before that position (0 at position 0), so a set that changed can be noticed.
 */
export interface Position {
  set: number;
  pos: number;
  anchor: number;
}

/** FNV-1a, 32 bits: enough to recognise one device again, not a security measure. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Where to resume in set: at pos when the device before it is still the anchor (the usual case);
 * else just after the anchor device wherever it moved; else (it left the set) from the start, so
 * a change while paging can repeat devices but never skip one that stays. A Set has no seek:
 * this costs O(pos), the price of a cursor that needs no state in the store.
 */
function resumeAt(set: Set<string>, pos: number, anchor: number): number {
  if (pos === 0) return 0;
  let k = 0;
  for (const d of set) {
    if (k === pos - 1) {
      if (hash(d) === anchor) return pos;
      break;
    }
    k++;
  }
  k = 0;
  for (const d of set) {
    k++;
    if (hash(d) === anchor) return k;
  }
  return 0;
}

/**
 * Walks set from `from`, adding accepted devices to out until it holds count or the budget of
 * examined devices runs out. Answers where to go on, or undefined when the set is done.
 */
function walk(set: Set<string>, from: number, accept: (d: string) => boolean, out: string[], count: number, budget: { left: number }): Omit<Position, 'set'> | undefined {
  let k = 0;
  for (const d of set) {
    if (k++ < from) continue;
    if (accept(d)) out.push(d);
    budget.left--;
    if (out.length >= count || budget.left <= 0) return k >= set.size ? undefined : { pos: k, anchor: hash(d) };
  }
  return undefined;
}

const encode = (p: Position): string => `${p.set}.${p.pos}.${p.anchor}`;

/**
 * Pages through sets: 'or' walks them one after another, skipping devices an earlier set holds;
 * 'and' walks only sets[start.set] and keeps devices every other set holds.
 */
export function pageSets(sets: Set<string>[], mode: 'or' | 'and', start: Position, count: number): Page {
  const out: string[] = [];
  // Bounds the work of one call (a sparse 'and' may examine many devices to find a few).
  const budget = { left: Math.max(count * 10, 10_000) };
  let i = start.set;
  let from = resumeAt(sets[i], start.pos, start.anchor);
  while (i < sets.length) {
    const walking = i;
    const accept =
      mode === 'and'
        ? (d: string) => sets.every((s, j) => j === walking || s.has(d))
        : (d: string) => !sets.some((s, j) => j < walking && s.has(d));
    const next = walk(sets[i], from, accept, out, count, budget);
    if (next) return { devices: out, cursor: encode({ set: i, ...next }) };
    if (mode === 'and') break;
    i++;
    from = 0;
    if (out.length >= count || budget.left <= 0) {
      return { devices: out, cursor: i < sets.length ? encode({ set: i, pos: 0, anchor: 0 }) : '' };
    }
  }
  return { devices: out, cursor: '' };
}

/** The position a cursor names (undefined for ''); throws on a cursor this pager did not make. */
export function startOf(op: string, cursor: unknown, sets: number): Position | undefined {
  const parts = parseCursor(op, cursor, 3);
  if (!parts) return undefined;
  const p = { set: Number(parts[0]), pos: Number(parts[1]), anchor: Number(parts[2]) };
  if (p.set >= sets || !Number.isSafeInteger(p.pos) || p.anchor > 0xffffffff) {
    throw new InvalidSessionError(`${op}: cursor ${JSON.stringify(cursor)} does not fit this query`);
  }
  return p;
}
