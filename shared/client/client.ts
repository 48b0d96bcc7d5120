import { resolveOptions } from './options';
import { Connection, type ClientState } from './connection';
import type { Listener } from './emitter';
import type { ClientFrameInit } from '../protocol/codec';
import { ErrorCode } from '../protocol/codes';
import { RequestError, type ClientEvents, type ClientOptions, type ConnectedEvent, type ReplyResult } from './types';

export * from './types';
export type { ClientState } from './connection';

/**
 * A Herald client: one WebSocket to a room, kept up across failures (dispatch, failover,
 * backoff), with deduped pushes, batched acks and request/reply calls. Requests made while
 * not connected reject at once (RequestError, code Unavailable); requests in flight reject
 * when the connection drops or after requestTimeoutMs. No timer or socket is left once
 * 'closed' was emitted.
 */
export interface HeraldClient {
  readonly state: ClientState;
  /** Session id of the last AuthOk ('' before), sent as `resume` on a reconnect. */
  readonly sessionId: string;
  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void;
  off<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void;
  /** Starts connecting (once); resolves on the first AuthOk, rejects if the client closes first. */
  connect(): Promise<ConnectedEvent>;
  /** Stops for good: flushes queued acks, closes the socket, clears every timer. Safe twice. */
  close(): void;
  /** Acks a push by id (what PushMessage.ack does). */
  ack(id: string): void;
  /** Binds one more app to the connection; its token is re-sent on every reconnect. */
  bind(token: string): Promise<ReplyResult>;
  unbind(app: string): Promise<ReplyResult>;
  subscribe(app: string, topics: string[]): Promise<ReplyResult>;
  unsubscribe(app: string, topics: string[]): Promise<ReplyResult>;
  /** Sends data up to the app's backend (a string is sent as UTF-8). */
  upstream(app: string, type: string, payload: Uint8Array | string): Promise<ReplyResult>;
}

class Client extends Connection implements HeraldClient {
  on<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void {
    this.emitter.on(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: Listener<ClientEvents[K]>): void {
    this.emitter.off(event, listener);
  }

  ack(id: string): void {
    this.inbox.ack(id);
  }

  async bind(token: string): Promise<ReplyResult> {
    if (typeof token !== 'string' || token === '') throw new TypeError('bind: token must be a non-empty string');
    const reply = await this.request('bind', { bind: { token } });
    const app = this.o.readClaims(token).app;
    if (typeof app === 'string') this.boundTokens.set(app, token);
    return reply;
  }

  async unbind(app: string): Promise<ReplyResult> {
    if (typeof app !== 'string' || app === '') throw new TypeError('unbind: app must be a non-empty string');
    const reply = await this.request('unbind', { unbind: { app } });
    this.boundTokens.delete(app);
    return reply;
  }

  subscribe(app: string, topics: string[]): Promise<ReplyResult> {
    return this.topics('subscribe', app, topics);
  }

  unsubscribe(app: string, topics: string[]): Promise<ReplyResult> {
    return this.topics('unsubscribe', app, topics);
  }

  async upstream(app: string, type: string, payload: Uint8Array | string): Promise<ReplyResult> {
    if (typeof app !== 'string' || app === '' || typeof type !== 'string') throw new TypeError('upstream: app and type must be strings');
    const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('upstream: payload must be a Uint8Array or a string');
    return this.request('upstream', { upstream: { app, type, payload: bytes } });
  }

  protected request(what: string, body: Omit<ClientFrameInit, 'seq'>): Promise<ReplyResult> {
    if (!this.authed) return Promise.reject(new RequestError(ErrorCode.Unavailable, `${what}: not connected`));
    const { seq, promise } = this.pending.open(what);
    if (!this.send({ ...body, seq })) this.pending.fail(seq, new RequestError(ErrorCode.Unavailable, `${what}: send failed`));
    return promise;
  }


  private async topics(what: 'subscribe' | 'unsubscribe', app: string, topics: string[]): Promise<ReplyResult> {
    if (typeof app !== 'string' || app === '') throw new TypeError(`${what}: app must be a non-empty string`);
    if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) {
      throw new TypeError(`${what}: topics must be a non-empty array of strings`);
    }
    return this.request(what, { [what]: { app, topics } });
  }
}

/** Creates a client (not yet connected: call connect()). Throws on bad options. */
export function createClient(options: ClientOptions): HeraldClient {
  return new Client(resolveOptions(options));
}
