import type { RoomInfo, RoomRegistry } from './room-registry';
import { checkAnnounce, checkRoomId, copyRoom } from './validate';

interface Entry {
  info: RoomInfo;
  /** Expiry, ms since the epoch. */
  exp: number;
}

/** Rooms in process memory (standalone): an announce lives ttlMs, checked when listed. */
export function createMemoryRoomRegistry(): RoomRegistry {
  const rooms = new Map<string, Entry>();
  return {
    async announce(info, ttlMs) {
      checkAnnounce(info, ttlMs);
      const now = Date.now();
      rooms.set(info.id, { info: copyRoom(info, now), exp: now + ttlMs });
    },
    async withdraw(id) {
      checkRoomId(id);
      rooms.delete(id);
    },
    async list() {
      const now = Date.now();
      const out: RoomInfo[] = [];
      for (const [id, e] of rooms) {
        if (e.exp > now) out.push(copyRoom(e.info, e.info.updatedAt));
        else rooms.delete(id);
      }
      return out;
    },
    async close() {
      rooms.clear();
    },
  };
}
