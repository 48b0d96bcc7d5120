import type { ResolvedOptions } from './options';
import { fetchRooms, RoomList, type Room } from './rooms';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Chooses the room of each connection attempt: the current list in order (last good room
 * first after a drop), then a dispatch call excluding the rooms that failed (failed=all when
 * the whole previous answer failed), or the fixed URLs again.
 */
export class RoomPicker {
  readonly rooms: RoomList;
  private abort: AbortController | undefined;

  constructor(private readonly o: ResolvedOptions) {
    this.rooms = new RoomList(o.rooms);
  }

  /** The next room; may call the dispatcher. `tokens` give the default device/app. */
  async pick(tokens: string[]): Promise<Room> {
    let room = this.rooms.next();
    if (room) return room;
    if (this.o.dispatchUrl) {
      await this.dispatch(this.o.dispatchUrl, tokens);
      room = this.rooms.next();
    }
    if (!room) {
      // Every room failed (or the dispatcher only answered failed ones): try them all again.
      this.rooms.restart();
      room = this.rooms.next();
    }
    if (!room) throw new Error('no room to connect to');
    return room;
  }

  /** Aborts a dispatch call in flight (the client is closing). */
  cancel(): void {
    this.abort?.abort();
  }

  private async dispatch(base: string, tokens: string[]): Promise<void> {
    const fetchFn = this.o.fetch;
    if (!fetchFn) throw new Error('dispatchUrl needs a fetch function');
    const query = { ...this.identity(tokens), network: this.o.network, ...this.rooms.dispatchQuery() };
    const abort = (this.abort = new AbortController());
    // Transient: exists only while one dispatch call is in flight.
    const timer = setTimeout(() => abort.abort(), this.o.requestTimeoutMs);
    try {
      this.rooms.dispatched(await fetchRooms(fetchFn, base, query, abort.signal));
    } catch (err) {
      // Start over: the next attempt tries the rooms it had, then asks the dispatcher again.
      this.rooms.restart();
      throw new Error(`dispatch failed: ${message(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      this.abort = undefined;
    }
  }

  private identity(tokens: string[]): { device: string; app: string } {
    let claims: { sub?: unknown; app?: unknown } = {};
    if (this.o.device === undefined || this.o.app === undefined) {
      try {
        claims = this.o.readClaims(tokens[0]);
      } catch (err) {
        throw new Error(`cannot read device/app from the first token (${message(err)}): pass options.device and options.app`, { cause: err });
      }
    }
    const device = this.o.device ?? claims.sub;
    const app = this.o.app ?? claims.app;
    if (typeof device !== 'string' || typeof app !== 'string') {
      throw new Error('the first token has no sub/app: pass options.device and options.app');
    }
    return { device, app };
  }
}
