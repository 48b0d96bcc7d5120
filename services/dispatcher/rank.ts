import type { RoomInfo } from '../../shared/room-registry/room-registry';

/** A room prepared for ranking: its hash state and weight are computed once per registry read. */
export interface Candidate {
  info: RoomInfo;
  /** FNV-1a states after hashing the room id, one per seed. */
  h1: number;
  h2: number;
  /** Free capacity, at least 1. */
  weight: number;
}

const FNV_PRIME = 0x01000193;
const SEED1 = 0x811c9dc5;
const SEED2 = 0x5bd1e995;

function fnv(state: number, s: string): number {
  let h = state;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  // A separator, so ("ab","c") and ("a","bc") differ.
  return Math.imul(h ^ 0xff, FNV_PRIME);
}

/** murmur3's finalizer: spreads every input bit over the whole word. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function toCandidate(info: RoomInfo): Candidate {
  return { info, h1: fnv(SEED1, info.id), h2: fnv(SEED2, info.id), weight: Math.max(1, info.capacity - info.connections) };
}

/**
 * Weighted rendezvous (highest random weight) score of a device on a room: with u uniform in
 * (0, 1) from hash(room, device), score = weight / -ln(u). The highest score wins, and a room
 * wins with probability proportional to its weight; removing a room moves only its devices.
 */
export function score(c: Candidate, device: string): number {
  const a = fmix(fnv(c.h1, device)) >>> 5; // 27 bits
  const b = fmix(fnv(c.h2, device)) >>> 6; // 26 bits
  const u = (a * 67_108_864 + b + 0.5) / 9_007_199_254_740_992; // 53 bits, never 0 or 1
  return c.weight / -Math.log(u);
}

/** The first n candidates by descending score for the device (a full sort: rooms are few). */
export function best(candidates: Candidate[], device: string, n: number): Candidate[] {
  const scored = candidates.map((c) => ({ c, s: score(c, device) }));
  scored.sort((x, y) => y.s - x.s);
  return scored.slice(0, n).map((x) => x.c);
}
