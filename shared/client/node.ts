import WebSocket from 'ws';
import { peekToken } from '../auth/jwt';
import { createClient, type HeraldClient } from './client';
import type { ClientOptions, SocketCtor } from './types';

export * from './client';

/**
 * createClient() for Node: sockets from the `ws` package (which also lets the client drop a
 * dead socket at once with terminate()), token claims read with shared/auth peekToken.
 */
export function createNodeClient(opts: ClientOptions): HeraldClient {
  return createClient({
    // ws's event types are wider than the browser subset the core declares.
    WebSocket: WebSocket as unknown as SocketCtor,
    readClaims: peekToken,
    ...opts,
  });
}
