import type { FetchFn } from './types';

/** A room to connect to, as the dispatcher lists it (fixed and redirect URLs use the URL as id). */
export interface Room {
  id: string;
  url: string;
  zone?: string;
}

/** Query of GET {dispatchUrl}/v1/dispatch. */
export interface DispatchQuery {
  device: string;
  app: string;
  network: string;
  /** Ids of rooms that failed; the dispatcher skips them. */
  exclude: string[];
  /** Every room of the previous answer failed: the dispatcher answers another zone. */
  failedAll: boolean;
}

function isWsUrl(url: unknown): url is string {
  return typeof url === 'string' && /^wss?:\/\/./i.test(url);
}

/** Reads a dispatch answer {rooms:[{id,url,zone}]}; throws on a malformed one. */
export function parseDispatch(body: unknown): Room[] {
  const rooms = (body as { rooms?: unknown } | null)?.rooms;
  if (!Array.isArray(rooms)) throw new Error('dispatch answer has no rooms array');
  const out: Room[] = [];
  for (const r of rooms as unknown[]) {
    const { id, url, zone } = (r ?? {}) as { id?: unknown; url?: unknown; zone?: unknown };
    if (!isWsUrl(url)) continue;
    out.push({ id: typeof id === 'string' && id !== '' ? id : url, url, zone: typeof zone === 'string' ? zone : undefined });
  }
  if (out.length === 0) throw new Error('dispatch answered no usable room');
  return out;
}

/** Builds the dispatch URL for a query. */
export function dispatchUrl(base: string, q: DispatchQuery): string {
  const params = new URLSearchParams({ device: q.device, app: q.app, network: q.network });
  if (q.exclude.length > 0) params.set('exclude', q.exclude.join(','));
  if (q.failedAll) params.set('failed', 'all');
  return `${base.replace(/\/+$/, '')}/v1/dispatch?${params.toString()}`;
}

/** Asks the dispatcher for rooms; throws on an HTTP error or a malformed answer. */
export async function fetchRooms(fetchFn: FetchFn, base: string, q: DispatchQuery, signal?: AbortSignal): Promise<Room[]> {
  const res = await fetchFn(dispatchUrl(base, q), { signal, headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`dispatch answered HTTP ${res.status}`);
  return parseDispatch(await res.json());
}

/** Rooms from fixed URLs (the URL is the id); throws on a URL that is not ws:// or wss://. */
export function roomsFromUrls(urls: readonly unknown[], what: string): Room[] {
  return urls.map((url, i) => {
    if (!isWsUrl(url)) throw new Error(`${what}[${i}] must be a ws:// or wss:// URL`);
    return { id: url, url };
  });
}

/**
 * The rooms a client tries, in order, skipping those that failed since the last successful
 * connection. After a healthy connection drops, rewind() starts over with that room first.
 */
export class RoomList {
  private rooms: Room[];
  private cursor = 0;
  private fromDispatch = false;
  private readonly failedIds = new Set<string>();
  private good?: Room;

  constructor(private readonly fixed: Room[] = []) {
    this.rooms = fixed.slice();
  }

  /** Next room to try, or undefined when the list is used up. */
  next(): Room | undefined {
    while (this.cursor < this.rooms.length) {
      const room = this.rooms[this.cursor++];
      if (!this.failedIds.has(room.id)) return room;
    }
    return undefined;
  }

  fail(room: Room): void {
    this.failedIds.add(room.id);
  }

  succeed(room: Room): void {
    this.good = room;
    this.failedIds.clear();
  }

  /** Start the list over, the last good room first. */
  rewind(): void {
    const good = this.good;
    if (good) this.rooms = [good, ...this.rooms.filter((r) => r.id !== good.id)];
    this.cursor = 0;
  }

  /** Move to the URLs of a Redirect frame. */
  redirect(urls: string[]): void {
    this.rooms = roomsFromUrls(urls, 'redirect.urls');
    this.fromDispatch = false;
    this.cursor = 0;
  }

  /** exclude/failed for the next dispatch call. */
  dispatchQuery(): Pick<DispatchQuery, 'exclude' | 'failedAll'> {
    const failedAll = this.fromDispatch && this.rooms.length > 0 && this.rooms.every((r) => this.failedIds.has(r.id));
    return { exclude: [...this.failedIds], failedAll };
  }

  /** Use a fresh dispatch answer. */
  dispatched(rooms: Room[]): void {
    this.rooms = rooms;
    this.fromDispatch = true;
    this.cursor = 0;
  }

  /** Every room failed (fixed URLs used up, or a dispatch answer with nothing new): start over. */
  restart(): void {
    this.failedIds.clear();
    if (this.fixed.length > 0) this.rooms = this.fixed.slice();
    this.rewind();
  }
}
