import type { RoomDirectory, RoomService } from '../contracts/room';
import { RpcCode, RpcError } from '../rpc/rpc';
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
  /** Reads the registry now (one read at a time; a call during a read gets the next one). Rejects when the registry fails; the cache is kept then. */
  refresh(): Promise<void>;
  /** Stops refreshing and closes every room client. Safe twice. */
  close(): void;
};

/** Least time between two refreshes started by misses, ms. */
const MISS_GAP_MS = 100;

interface Entry {
  address: string;
  info: RoomInfo & { rpc: string };
  client: RoomClient;
  /** What callers hold: follows the room to a new address (see followRoom). */
  service: RoomService;
}

const unreachable = (err: unknown): boolean => err instanceof RpcError && err.code === RpcCode.Unavailable;

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
  let again: Promise<void> | undefined;
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
      const withRpc = { ...info, rpc: info.rpc };
      cache.set(info.id, { address: info.rpc, info: withRpc, client: connect(withRpc), service: entry?.service ?? followRoom(info.id) });
      dlog.info(entry ? 'room moved' : 'room joined', { room: info.id, rpc: info.rpc });
    }
    for (const [id, entry] of cache) {
      if (seen.has(id)) continue;
      entry.client.close();
      cache.delete(id);
      dlog.info('room left', { room: id });
    }
  }

  /**
   * Reads the registry. A call while a read is in flight may want a change that read started
   * too early to see: it gets one more read after it (shared by every such call).
   */
  function refresh(): Promise<void> {
    if (closed) return Promise.resolve();
    if (!reading) {
      reading = read().finally(() => {
        reading = undefined;
      });
      return reading;
    }
    again ??= reading
      .catch(() => undefined)
      .then(() => {
        again = undefined;
        return refresh();
      });
    return again;
  }

  function refreshInBackground(): void {
    refresh().catch((err: unknown) => dlog.warn('room registry read failed; keeping the rooms known', { err }));
  }

  /** A new channel for a room whose old one failed (it may sit in reconnect backoff). */
  function reconnect(id: string, failed: Entry): Entry {
    const now = cache.get(id);
    if (!now || now.client !== failed.client) return now ?? failed;
    failed.client.close();
    const fresh = { ...failed, client: connect(failed.info) };
    cache.set(id, fresh);
    return fresh;
  }

  /**
   * A room restarted (same id) fails at its old channel until the next refresh: on
   * UNAVAILABLE, read the registry now and send the call once more, to the new address if the
   * room moved, else over a new channel (the old one may be waiting out its reconnect backoff).
   */
  async function call<T>(roomId: string, fn: (c: RoomClient) => Promise<T>): Promise<T> {
    const entry = cache.get(roomId);
    if (!entry) throw new RpcError(RpcCode.Unavailable, `room ${roomId} is not in the registry`);
    try {
      return await fn(entry.client);
    } catch (err) {
      if (!unreachable(err)) throw err;
      await refresh().catch(() => undefined);
      const known = cache.get(roomId);
      if (!known) throw err;
      const next = known.address === entry.address ? reconnect(roomId, known) : known;
      dlog.info('room unreachable; call sent once more', { room: roomId, rpc: next.address });
      return fn(next.client);
    }
  }

  function followRoom(id: string): RoomService {
    return {
      id,
      deliver: (batch) => call(id, (c) => c.deliver(batch)),
      reply: (batch) => call(id, (c) => c.reply(batch)),
      kick: (batch) => call(id, (c) => c.kick(batch)),
      drain: (o) => call(id, (c) => c.drain(o)),
      reflush: () => call(id, (c) => c.reflush()),
    };
  }

  const timer = setInterval(refreshInBackground, refreshMs);
  timer.unref();
  refreshInBackground();

  return {
    room(roomId: string) {
      const entry = cache.get(roomId);
      if (entry) return entry.service;
      const now = Date.now();
      if (!closed && now - lastMiss >= missGapMs) {
        lastMiss = now;
        refreshInBackground();
      }
      return undefined;
    },
    async find(roomId: string) {
      const known = cache.get(roomId);
      if (known || closed) return known?.service;
      await refresh();
      return cache.get(roomId)?.service;
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
