import type { RoomInfo } from './room-registry';

/** Longest accepted room id (characters). */
export const MAX_ROOM_ID_LENGTH = 128;

function fail(msg: string): never {
  throw new TypeError(`room registry: ${msg}`);
}

function checkStrings(what: string, v: unknown): void {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(`${what} must be an array of strings`);
}

function checkCount(what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${what} must be a non-negative integer`);
}

/** Throws TypeError unless id is a usable room id. */
export function checkRoomId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id === '' || id.length > MAX_ROOM_ID_LENGTH) {
    fail(`id must be a non-empty string of at most ${MAX_ROOM_ID_LENGTH} characters`);
  }
}

/** Throws TypeError naming the bad field unless the announcement is well formed. */
export function checkAnnounce(info: Omit<RoomInfo, 'updatedAt'>, ttlMs: number): void {
  if (typeof info !== 'object' || info === null) fail('info must be an object');
  checkRoomId(info.id);
  checkStrings('urls', info.urls);
  if (info.urls.length === 0) fail('urls must not be empty');
  if (typeof info.zone !== 'string') fail('zone must be a string');
  checkStrings('networks', info.networks);
  if (info.rpc !== undefined && typeof info.rpc !== 'string') fail('rpc must be a string when given');
  checkCount('connections', info.connections);
  checkCount('capacity', info.capacity);
  if (typeof info.draining !== 'boolean') fail('draining must be a boolean');
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs <= 0) fail('ttlMs must be a positive integer');
}

/** A copy holding only RoomInfo fields (no caller-owned arrays). */
export function copyRoom(info: Omit<RoomInfo, 'updatedAt'>, updatedAt: number): RoomInfo {
  const out: RoomInfo = {
    id: info.id,
    urls: [...info.urls],
    zone: info.zone,
    networks: [...info.networks],
    connections: info.connections,
    capacity: info.capacity,
    draining: info.draining,
    updatedAt,
  };
  if (info.rpc !== undefined) out.rpc = info.rpc;
  return out;
}
