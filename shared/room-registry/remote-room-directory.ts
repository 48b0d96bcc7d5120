import type { RoomDirectory } from '../contracts/room';
import type { Logger } from '../log/log';
import { createRoomClient, type RoomClient } from '../../services/room/rpc/room-rpc-client';
import type { RoomInfo, RoomRegistry } from './room-registry';

export interface RemoteRoomDirectoryOptions {
  /** How often the registry is read again, ms (default 1000). */
  refreshMs?: number;
  /** Per call to a room, ms (the room client's default when absent). */
  deadlineMs?: number;
  /** Makes the client of a room (default: createRoomClient on info.rpc). */
  connect?: (info: RoomInfo & { rpc: string }) => RoomClient;
}

/** A RoomDirectory over the registry, plus close() (ends every room client) and refresh(). */
export type RemoteRoomDirectory = RoomDirectory & {
  /** Reads the registry now (one read at a time: a call during a read shares it). Rejects when the registry fails; the cache is kept then. */
  refresh(): Promise<void>;
  /** Stops refreshing and closes every room client. Safe twice. */
  close(): void;
};

/** Least time between two refreshes started by misses, ms. */
const MISS_GAP_MS = 100;

interface Entry {
  address: string;
  client: RoomClient;
}

/**
 * The rooms of a cluster as RoomServices over RPC, found through the room registry: one client
 * per room (made from the rpc address it announces, reused across calls), refreshed every
 * refreshMs. A room that left the registry is dropped and its client closed; a room whose
 * address changed gets a new client. Rooms that announce no rpc address are not reachable.
 *
 * room() is synchronous and answers from the cache. On a miss it answers undefined and starts
 * a refresh (at most one per MISS_GAP_MS), so a room that just joined is found by a later
 * call: callers treat undefined as "room unreachable now" (the device's session expires or the
 * message stays stored for its next connect).
 */
export function createRemoteRoomDirectory(registry: RoomRegistry, opts: RemoteRoomDirectoryOptions, log: Logger): RemoteRoomDirectory {
  const dlog = log.child({ component: 'room-directory' });
  const refreshMs = opts.refreshMs ?? 1000;
  const missGapMs = Math.min(MISS_GAP_MS, refreshMs);
  const connect = opts.connect ?? ((info) => createRoomClient(info.rpc, { id: info.id, deadlineMs: opts.deadlineMs }, log));
  const cache = new Map<string, Entry>();
  let reading: Promise<void> | undefined;
  let lastMiss = 0;
  let closed = false;

  async function read(): Promise<void> {
    const rooms = await registry.list();
    if (closed) return;
    const seen = new Set<string>();
    for (const info of rooms) {
      if (!info.rpc) continue;
      seen.add(info.id);
      const entry = cache.get(info.id);
      if (entry?.address === info.rpc) continue;
      entry?.client.close();
      cache.set(info.id, { address: info.rpc, client: connect({ ...info, rpc: info.rpc }) });
      dlog.info(entry ? 'room moved' : 'room joined', { room: info.id, rpc: info.rpc });
    }
    for (const [id, entry] of cache) {
      if (seen.has(id)) continue;
      entry.client.close();
      cache.delete(id);
      dlog.info('room left', { room: id });
    }
  }

  function refresh(): Promise<void> {
    if (closed) return Promise.resolve();
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  }

  function refreshInBackground(): void {
    refresh().catch((err: unknown) => dlog.warn('room registry read failed; keeping the rooms known', { err }));
  }

  const timer = setInterval(refreshInBackground, refreshMs);
  timer.unref();
  refreshInBackground();

  return {
    room(roomId: string) {
      const entry = cache.get(roomId);
      if (entry) return entry.client;
      const now = Date.now();
      if (!closed && now - lastMiss >= missGapMs) {
        lastMiss = now;
        refreshInBackground();
      }
      return undefined;
    },
    async find(roomId: string) {
      const known = cache.get(roomId);
      if (known || closed) return known?.client;
      await refresh();
      return cache.get(roomId)?.client;
    },
    refresh,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const entry of cache.values()) entry.client.close();
      cache.clear();
    },
  };
}
