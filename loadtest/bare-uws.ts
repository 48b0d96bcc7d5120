/**
 * The baseline for the room's figures: the smallest uWebSockets.js server that accepts
 * WebSockets and publishes a broadcast to all of them. No auth, no protocol state, no state per
 * socket beyond uWS's own. What it publishes is a room's broadcast Push frame (the project's
 * codec, same size and fields), so the simulated clients decode the same bytes from both
 * servers and the comparison measures the servers, not the clients. Run in its own process
 * (forked by the load-test tool), it tells its parent its port over IPC, and exits when the
 * parent disconnects or on SIGTERM.
 *
 *   POST /publish?n=<first seq>&count=<k>  publishes k payloads (seq n..n+k-1) in one turn
 */
import type * as UWS from 'uWebSockets.js';
import { encodeServerFrame, PushKind } from '../shared/protocol/codec';
import { encodePayload } from './ipc';

const uws = require('uWebSockets.js') as typeof UWS;
const maxBurst = 1024;

// The package silently loads a slow pure-JS fallback when its binary does not fit this Node.
const native = typeof (uws as unknown as Record<string, unknown>).H3App === 'function' && !Object.keys(require.cache).some((p) => /uWebSockets\.js[\\/]dist[\\/]index\.js$/.test(p));
let sockets = 0;

/** A broadcast Push as a room sends it: a 32-digit id, the app, the payload, times, qos 0. */
function broadcastFrame(n: number): Uint8Array {
  const now = Date.now();
  return encodeServerFrame({
    push: { id: n.toString(16).padStart(32, '0'), app: 'demo', payload: encodePayload(n), kind: PushKind.PUSH_BROADCAST, topic: '', created: now, expires: 0, qos: 0 },
  });
}
let listenSocket: UWS.us_listen_socket | undefined;

const app = uws.App();
app.ws('/*', {
  compression: uws.DISABLED,
  maxPayloadLength: 16 * 1024,
  idleTimeout: 0,
  maxBackpressure: 1024 * 1024,
  open: (ws) => {
    sockets++;
    ws.subscribe('all');
  },
  close: () => {
    sockets--;
  },
});
app.post('/publish', (res, req) => {
  const n = Number(req.getQuery('n') ?? '0');
  const count = Number(req.getQuery('count') ?? '1');
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(count) || count < 1 || count > maxBurst) {
    res.writeStatus('400 Bad Request').end(`n must be an integer >= 0 and count 1..${maxBurst}\n`);
    return;
  }
  // Publishing in one loop lets uWS coalesce what each socket gets into one write.
  for (let k = 0; k < count; k++) app.publish('all', broadcastFrame(n + k), true);
  res.end(`published ${count} to ${sockets}\n`);
});
app.get('/healthz', (res) => {
  res.end(JSON.stringify({ sockets, native }));
});

function stop(): void {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  listenSocket = undefined;
  process.exit(0);
}

app.listen('127.0.0.1', 0, (s) => {
  if (!s) {
    process.stderr.write('bare-uws: could not listen\n');
    process.exit(1);
  }
  listenSocket = s;
  const port = uws.us_socket_local_port(s);
  if (process.send) process.send({ type: 'listening', port, native });
  else process.stdout.write(`bare-uws listening on ws://127.0.0.1:${port}/ (native ${native})\n`);
});
process.on('SIGTERM', stop);
process.on('disconnect', stop);
