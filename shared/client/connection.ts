import { decodeServerFrame, encodeClientFrame, type ClientFrameInit, type ServerFrame } from '../protocol/codec';
import { CloseCode, ErrorCode, shouldReconnect } from '../protocol/codes';
import { createBackoff, type Backoff } from './backoff';
import { createEmitter, type Emitter } from './emitter';
import { Inbox } from './inbox';
import type { ResolvedOptions } from './options';
import { RoomPicker } from './picker';
import { PendingRequests } from './requests';
import type { Room } from './rooms';
import { describeClose, ignoreError, message, reportListenerError, toBytes } from './util';
import {
  RequestError,
  ServerError,
  type ClientEvents,
  type ConnectedEvent,
  type SocketClose,
  type SocketLike,
  type SocketMessage,
} from './types';

/** idle (before connect()) -> connecting -> connected -> waiting (backoff) -> connecting ... -> closed. */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

const OPEN = 1;

/**
 * The connection state machine under HeraldClient: dispatch, open, auth, heartbeat, failover
 * and backoff, frame handling. One socket and one timer at a time.
 */
export class Connection {
  state: ClientState = 'idle';
  sessionId = '';
  protected readonly emitter: Emitter<ClientEvents>;
  private readonly backoff: Backoff;
  protected readonly inbox: Inbox;
  protected readonly pending: PendingRequests;
  private readonly picker: RoomPicker;
  private ws: SocketLike | undefined;
  private room: Room | undefined;
  protected authed = false;
  private tokens: string[] = [];
  /** Tokens of apps bound with bind(), re-sent on every reconnect. */
  protected readonly boundTokens = new Map<string, string>();
  // The one timer of a client: connect/auth timeout, heartbeat interval, dispatch timeout or backoff delay.
  private timer: ReturnType<typeof setTimeout> | undefined;
  private heard = false;
  private silentTicks = 0;
  private info: ConnectedEvent | undefined;
  private waiters: { resolve(e: ConnectedEvent): void; reject(err: Error): void }[] = [];

  constructor(protected readonly o: ResolvedOptions) {
    this.emitter = createEmitter<ClientEvents>((err, event) => reportListenerError(this.emitter, err, event));
    this.backoff = createBackoff(o.backoff, o.random);
    this.inbox = new Inbox(o.autoAck, o.dedupeSize, this.emitter, (ids) => this.authed && this.send({ seq: 0, ack: { ids } }));
    this.pending = new PendingRequests(o.requestTimeoutMs);
    this.picker = new RoomPicker(o);
  }

  connect(): Promise<ConnectedEvent> {
    if (this.state === 'closed') return Promise.reject(new Error('client is closed'));
    if (this.state === 'connected' && this.info) return Promise.resolve(this.info);
    const done = new Promise<ConnectedEvent>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.state === 'idle') void this.attempt();
    return done;
  }

  close(): void {
    if (this.state === 'closed') return;
    this.inbox.flush();
    if (this.ws) this.emitter.emit('disconnected', { code: 1000, reason: 'closed by client', willReconnect: false, delayMs: 0 });
    this.finish(1000, 'closed by client');
  }

  // ---- connecting ----

  private readonly attemptNow = (): void => {
    this.timer = undefined;
    void this.attempt();
  };

  private async attempt(): Promise<void> {
    this.state = 'connecting';
    let room: Room;
    try {
      this.tokens = await this.currentTokens();
      if (this.state !== 'connecting') return;
      room = await this.picker.pick(this.tokens);
      if (this.state !== 'connecting') return;
    } catch (err) {
      if (this.state !== 'connecting') return;
      this.emitError(err);
      this.retry(0, message(err));
      return;
    }
    this.open(room);
  }

  private async currentTokens(): Promise<string[]> {
    const base = typeof this.o.tokens === 'function' ? await this.o.tokens() : this.o.tokens;
    if (!Array.isArray(base) || base.length === 0 || base.some((t) => typeof t !== 'string' || t === '')) {
      throw new TypeError('tokens() must resolve to a non-empty array of JWT strings');
    }
    const extra = [...this.boundTokens.values()].filter((t) => !base.includes(t));
    return extra.length > 0 ? base.concat(extra) : base;
  }

  private open(room: Room): void {
    let ws: SocketLike;
    try {
      ws = new this.o.WebSocket(room.url);
    } catch (err) {
      this.emitError(err);
      this.picker.rooms.fail(room);
      this.retry(1006, `cannot open ${room.url}: ${message(err)}`);
      return;
    }
    ws.binaryType = 'arraybuffer';
    ws.onopen = this.onOpen;
    ws.onmessage = this.onMessage;
    ws.onclose = this.onClose;
    ws.onerror = this.onError;
    this.ws = ws;
    this.room = room;
    this.authed = false;
    this.timer = setTimeout(this.onAuthTimeout, this.o.requestTimeoutMs);
  }

  private readonly onAuthTimeout = (): void => {
    this.timer = undefined;
    this.lost(CloseCode.AuthTimeout, `no AuthOk within ${this.o.requestTimeoutMs} ms`);
  };

  private readonly onOpen = (): void => {
    const { networkType: network, platform, sdkVersion } = this.o;
    this.send({ seq: 0, auth: { tokens: this.tokens, resume: this.sessionId, network, platform, sdkVersion } });
  };

  private readonly onError = (ev: { message?: string }): void => {
    this.emitError(new Error(`WebSocket error${ev?.message ? `: ${ev.message}` : ''} (${this.room?.url ?? '?'})`));
  };

  private readonly onClose = (ev: SocketClose): void => {
    const wasAuthed = this.authed;
    this.detach();
    this.ended(ev.code, ev.reason || describeClose(ev.code), wasAuthed);
  };

  private readonly onMessage = (ev: SocketMessage): void => {
    this.heard = true;
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(toBytes(ev.data));
    } catch (err) {
      // A bad frame is reported, not fatal: the connection stays up.
      this.emitError(err instanceof ServerError ? err : new ServerError(ErrorCode.BadFrame, message(err)));
      return;
    }
    this.handle(frame);
  };

  private handle(f: ServerFrame): void {
    switch (f.body) {
      case 'authOk':
        return this.onAuthOk(f.authOk!);
      case 'push':
        return this.inbox.push(f.push!);
      case 'reply': {
        const r = f.reply!;
        // A reply nobody waits for any more (it timed out) is dropped.
        this.pending.reply(f.seq, r.code ?? 0, r.message ?? '', r.payload ?? new Uint8Array(0), r.apps ?? []);
        return;
      }
      case 'kick':
        this.emitter.emit('kick', { code: f.kick!.code ?? 0, reason: f.kick!.reason ?? '' });
        return;
      case 'redirect':
        return this.onRedirect(f.redirect!.urls ?? [], f.redirect!.reason ?? '');
      case 'error': {
        const { code = 0, message: text = '' } = f.error!;
        if (f.seq !== 0 && this.pending.fail(f.seq, new RequestError(code ?? 0, text ?? ''))) return;
        this.emitError(new ServerError(code ?? 0, text || `error ${code}`));
        return;
      }
      default:
        return; // pong: hearing it is all that matters
    }
  }

  private onAuthOk(a: NonNullable<ServerFrame['authOk']>): void {
    const room = this.room;
    if (this.authed || !room) return;
    this.authed = true;
    this.sessionId = a.sessionId ?? '';
    const heartbeatSeconds = a.heartbeatSeconds || this.o.defaultHeartbeatSeconds;
    this.picker.rooms.succeed(room);
    this.state = 'connected';
    this.clearTimer();
    this.silentTicks = 0;
    this.timer = setInterval(this.tick, heartbeatSeconds * 1000);
    const info = { url: room.url, roomId: room.id, sessionId: this.sessionId, resumed: !!a.resumed, heartbeatSeconds, apps: a.apps ?? [] };
    this.info = info;
    if (this.inbox.queued > 0) this.inbox.flush();
    // Waiters first: a 'connected' listener may close() the client.
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(info);
    this.emitter.emit('connected', info);
  }

  /** Heartbeat: a connection that sent nothing for 2 intervals is dead; one that did is healthy. */
  private readonly tick = (): void => {
    if (this.heard) {
      this.heard = false;
      this.silentTicks = 0;
      this.backoff.reset();
    } else if (++this.silentTicks >= 2) {
      this.lost(CloseCode.HeartbeatTimeout, 'heartbeat timeout: no frame for 2 intervals');
      return;
    }
    this.send({ seq: 0, ping: {} });
  };

  private onRedirect(urls: string[], reason: string): void {
    try {
      if (urls.length === 0) throw new Error('no URLs');
      this.picker.rooms.redirect(urls);
    } catch (err) {
      this.emitError(new ServerError(ErrorCode.BadFrame, `bad redirect: ${message(err)}`));
      return;
    }
    const ws = this.ws;
    this.detach();
    ws?.close(1000);
    this.pending.failAll('redirected to another room');
    this.state = 'waiting';
    this.timer = setTimeout(this.attemptNow, 0);
    this.emitter.emit('disconnected', { code: 1000, reason: `redirect${reason ? `: ${reason}` : ''}`, willReconnect: true, delayMs: 0 });
  }

  // ---- disconnecting ----

  /** The client decided the connection is dead (timeouts): drop it without a handshake. */
  private lost(code: number, reason: string): void {
    const ws = this.ws;
    const wasAuthed = this.authed;
    this.detach();
    if (ws?.terminate) ws.terminate();
    else ws?.close(code, reason);
    this.ended(code, reason, wasAuthed);
  }

  private ended(code: number, reason: string, wasAuthed: boolean): void {
    this.pending.failAll(`connection closed: ${reason}`);
    if (!shouldReconnect(code)) {
      this.emitter.emit('disconnected', { code, reason, willReconnect: false, delayMs: 0 });
      this.finish(code, reason);
      return;
    }
    const room = this.room;
    // A room that never authenticated us, or is draining, is skipped until a connection succeeds.
    if (room && (!wasAuthed || code === CloseCode.Draining)) this.picker.rooms.fail(room);
    if (wasAuthed) this.picker.rooms.rewind();
    this.retry(code, reason);
  }

  private retry(code: number, reason: string): void {
    if (this.state === 'closed') return;
    if (this.backoff.attempts >= this.o.maxAttempts) {
      this.emitter.emit('disconnected', { code, reason, willReconnect: false, delayMs: 0 });
      this.finish(code, `gave up after ${this.backoff.attempts + 1} failed attempts: ${reason}`);
      return;
    }
    const delayMs = this.backoff.next();
    this.state = 'waiting';
    this.clearTimer();
    this.timer = setTimeout(this.attemptNow, delayMs);
    this.emitter.emit('disconnected', { code, reason, willReconnect: true, delayMs });
  }

  private finish(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearTimer();
    this.inbox.stop();
    this.picker.cancel();
    const ws = this.ws;
    this.detach();
    ws?.close(1000);
    this.pending.failAll(`client closed: ${reason}`);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new Error(`client closed: ${reason}`));
    this.emitter.emit('closed', { code, reason });
  }

  private detach(): void {
    const ws = this.ws;
    this.clearTimer();
    this.authed = false;
    if (!ws) return;
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = ignoreError;
    this.ws = undefined;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  protected send(frame: ClientFrameInit): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    try {
      ws.send(encodeClientFrame(frame));
      return true;
    } catch (err) {
      this.emitError(err);
      return false;
    }
  }

  private emitError(err: unknown): void {
    this.emitter.emit('error', err instanceof Error ? err : new Error(message(err)));
  }
}
