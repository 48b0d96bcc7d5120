/**
 * WebSocket close codes. 4000-4499: the client should reconnect (elsewhere if told);
 * 4500-4999: it must not reconnect with the same credentials.
 */
export const CloseCode = {
  Draining: 4000,
  HeartbeatTimeout: 4001,
  SlowConsumer: 4002,
  RateLimited: 4003,
  AuthTimeout: 4004,
  ServerError: 4005,
  AuthFailed: 4500,
  Kicked: 4501,
  ProtocolError: 4502,
  Forbidden: 4503,
  Replaced: 4504,
  FrameTooLarge: 4505,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** True when a client that got this close code should reconnect. */
export function shouldReconnect(code: number): boolean {
  return code < 4500 || code > 4999;
}

/** Codes carried by Error frames and by Reply.code (0 = ok). */
export const ErrorCode = {
  Ok: 0,
  BadFrame: 1,
  NotAuthenticated: 2,
  AlreadyAuthenticated: 3,
  BadToken: 4,
  TokenExpired: 5,
  UnknownApp: 6,
  NotBound: 7,
  RateLimited: 8,
  FrameTooLarge: 9,
  Unavailable: 10,
  NotImplemented: 11,
  Internal: 12,
  /** No webhook route for the upstream's type. */
  NoRoute: 13,
  /** The app's webhook kept failing; given up. */
  UpstreamFailed: 14,
  /** The room is draining: reconnect elsewhere. */
  Draining: 15,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Kinds of push, as strings on the HTTP API and in storage. */
export const PushKinds = ['unicast', 'user', 'tag', 'topic', 'broadcast'] as const;
export type PushKindName = (typeof PushKinds)[number];
