import type { PushKindName } from '../protocol/codes';
import type { NetworkType } from '../protocol/codec';
import type { BackoffOptions } from './backoff';

/** Event handed to WebSocket onmessage (browser MessageEvent and `ws` both fit). */
export interface SocketMessage {
  data: unknown;
  target?: unknown;
}

/** Event handed to WebSocket onclose. */
export interface SocketClose {
  code: number;
  reason: string;
  target?: unknown;
}

/**
 * The part of the WHATWG WebSocket the client uses; the browser's WebSocket and the `ws`
 * package both provide it. `terminate` (ws only) drops a dead socket without a close handshake.
 */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: { target?: unknown }) => void) | null;
  onmessage: ((ev: SocketMessage) => void) | null;
  onclose: ((ev: SocketClose) => void) | null;
  onerror: ((ev: { target?: unknown; message?: string }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  terminate?(): void;
}

/** A WebSocket constructor such as globalThis.WebSocket or ws's WebSocket. */
export type SocketCtor = new (url: string) => SocketLike;

/** The subset of fetch() the dispatch call uses. */
export type FetchFn = (
  url: string,
  init: { signal?: AbortSignal; headers?: Record<string, string> },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Network names as the dispatcher's `network` query takes them: NETWORK_WIFI -> 'wifi'. */
export type NetworkName = keyof typeof NetworkType extends `NETWORK_${infer N}` ? Lowercase<N> : never;

/** Options of createClient(). Times are in milliseconds. */
export interface ClientOptions {
  /** One JWT per app, or a function called before every connect (to refresh them). */
  tokens: string[] | (() => Promise<string[]>);
  /** Base URL of the dispatcher; GET {dispatchUrl}/v1/dispatch answers the rooms to try. */
  dispatchUrl?: string;
  /** Fixed room WebSocket URLs, tried in order (instead of dispatchUrl). */
  urls?: string[];
  /** Device id for dispatch; default: the first token's `sub`. */
  device?: string;
  /** App for dispatch; default: the first token's `app`. */
  app?: string;
  network?: NetworkName;
  platform?: string;
  sdkVersion?: string;
  /** Ack each qos-1 push right after the 'push' listeners return (default true). */
  autoAck?: boolean;
  backoff?: Partial<BackoffOptions>;
  /** Timeout of a request (bind, subscribe, upstream...), of opening a socket and of auth (default 10000). */
  requestTimeoutMs?: number;
  /** How many message ids the dedupe window remembers (default 10000; 0 disables). */
  dedupeSize?: number;
  /** Give up after this many consecutive failed attempts (default Infinity). */
  maxAttempts?: number;
  /** Heartbeat used when the room's AuthOk says 0 (default 30). */
  defaultHeartbeatSeconds?: number;
  /** WebSocket constructor (default globalThis.WebSocket). */
  WebSocket?: SocketCtor;
  /** fetch function (default globalThis.fetch). */
  fetch?: FetchFn;
  /** Reads a token's claims without verifying it (default: a browser-safe base64url decode). */
  readClaims?: (token: string) => { sub?: unknown; app?: unknown };
  /** Random source for the backoff jitter, 0 <= x < 1 (default Math.random; for tests). */
  random?: () => number;
}

/** A message delivered by the room. */
export interface PushMessage {
  id: string;
  app: string;
  payload: Uint8Array;
  kind: PushKindName;
  topic: string;
  /** Milliseconds since the Unix epoch. */
  created: number;
  /** Milliseconds since the Unix epoch; 0 = no expiry. */
  expires: number;
  qos: number;
  /** Present only with autoAck false: acks this message (batched with others of the same tick). */
  ack?: () => void;
}

export interface ConnectedEvent {
  url: string;
  roomId: string;
  sessionId: string;
  resumed: boolean;
  heartbeatSeconds: number;
  apps: string[];
}

export interface DisconnectedEvent {
  /** WebSocket close code; 1006 for network errors, 0 when the dispatch call failed. */
  code: number;
  reason: string;
  willReconnect: boolean;
  /** Delay before the next attempt (0 when willReconnect is false). */
  delayMs: number;
}

export interface ClosedEvent {
  code: number;
  reason: string;
}

export interface KickEvent {
  code: number;
  reason: string;
}

/** Events of a client and their argument. */
export interface ClientEvents {
  connected: ConnectedEvent;
  disconnected: DisconnectedEvent;
  push: PushMessage;
  kick: KickEvent;
  /** The client stopped for good: close() was called, a 4500-4999 code or maxAttempts. */
  closed: ClosedEvent;
  error: Error;
}

/** A request that got a non-zero Reply code (an ErrorCode), an Error frame, or no answer. */
export class RequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** An Error frame from the room, or a protocol problem seen by the client. */
export class ServerError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** The successful answer to a request. */
export interface ReplyResult {
  message: string;
  payload: Uint8Array;
  apps: string[];
}
