import { NetworkType } from '../protocol/codec';
import { checkBackoff, defaultBackoff, type BackoffOptions } from './backoff';
import { roomsFromUrls, type Room } from './rooms';
import type { ClientOptions, FetchFn, NetworkName, SocketCtor } from './types';

/** ClientOptions with defaults applied and checked. */
export interface ResolvedOptions {
  tokens: string[] | (() => Promise<string[]>);
  dispatchUrl?: string;
  rooms: Room[];
  device?: string;
  app?: string;
  network: NetworkName;
  networkType: NetworkType;
  platform: string;
  sdkVersion: string;
  autoAck: boolean;
  backoff: BackoffOptions;
  requestTimeoutMs: number;
  dedupeSize: number;
  maxAttempts: number;
  defaultHeartbeatSeconds: number;
  WebSocket: SocketCtor;
  fetch?: FetchFn;
  readClaims: (token: string) => { sub?: unknown; app?: unknown };
  random: () => number;
}

export const SDK_VERSION = '0.1.0';

/** Browser-safe claims reader: base64url-decodes the JWT's middle part (no verification). */
export function decodeClaims(token: string): { sub?: unknown; app?: unknown } {
  const part = token.split('.')[1];
  if (!part) throw new Error('token is not a JWT');
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof claims !== 'object' || claims === null) throw new Error('token claims are not an object');
  return claims as { sub?: unknown; app?: unknown };
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`${name} must be a positive number`);
  return v;
}

function networkOf(name: NetworkName | undefined): NetworkType {
  const key = `NETWORK_${(name ?? 'unknown').toUpperCase()}` as keyof typeof NetworkType;
  const value = NetworkType[key];
  if (typeof value !== 'number') throw new RangeError(`network must be one of wifi, cellular, ethernet, unknown`);
  return value;
}

function globalCtor(): SocketCtor | undefined {
  return (globalThis as { WebSocket?: SocketCtor }).WebSocket;
}

function globalFetch(): FetchFn | undefined {
  const f = (globalThis as { fetch?: FetchFn }).fetch;
  return f ? f.bind(globalThis) : undefined;
}

function checkTokens(tokens: ClientOptions['tokens']): ClientOptions['tokens'] {
  if (typeof tokens === 'function') return tokens;
  if (!Array.isArray(tokens) || tokens.length === 0 || tokens.some((t) => typeof t !== 'string' || t === '')) {
    throw new TypeError('tokens must be a non-empty array of JWT strings or a function returning one');
  }
  return tokens.slice();
}

/** Applies defaults and validates; throws a TypeError/RangeError naming the bad option. */
export function resolveOptions(o: ClientOptions): ResolvedOptions {
  if (!o || typeof o !== 'object') throw new TypeError('options are required');
  const tokens = checkTokens(o.tokens);
  const rooms = o.urls ? roomsFromUrls(o.urls, 'urls') : [];
  if (!o.dispatchUrl && rooms.length === 0) throw new TypeError('either dispatchUrl or urls is required');
  if (o.dispatchUrl !== undefined && !/^https?:\/\/./i.test(o.dispatchUrl)) throw new TypeError('dispatchUrl must be an http(s) URL');
  const WebSocket = o.WebSocket ?? globalCtor();
  if (typeof WebSocket !== 'function') throw new TypeError('no WebSocket: pass options.WebSocket (or use createNodeClient)');
  const fetch = o.fetch ?? globalFetch();
  if (o.dispatchUrl && typeof fetch !== 'function') throw new TypeError('dispatchUrl needs a fetch function: pass options.fetch');
  const maxAttempts = o.maxAttempts ?? Infinity;
  if (!(maxAttempts >= 0)) throw new RangeError('maxAttempts must be >= 0');
  const dedupeSize = o.dedupeSize ?? 10_000;
  if (!Number.isInteger(dedupeSize) || dedupeSize < 0) throw new RangeError('dedupeSize must be an integer >= 0');
  return {
    tokens,
    dispatchUrl: o.dispatchUrl || undefined,
    rooms,
    device: o.device,
    app: o.app,
    network: o.network ?? 'unknown',
    networkType: networkOf(o.network),
    platform: o.platform ?? '',
    sdkVersion: o.sdkVersion ?? `herald-ts/${SDK_VERSION}`,
    autoAck: o.autoAck ?? true,
    backoff: checkBackoff({ ...defaultBackoff, ...o.backoff }),
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 10_000),
    dedupeSize,
    maxAttempts,
    defaultHeartbeatSeconds: positive('defaultHeartbeatSeconds', o.defaultHeartbeatSeconds, 30),
    WebSocket,
    fetch,
    readClaims: o.readClaims ?? decodeClaims,
    random: o.random ?? Math.random,
  };
}
