// Test helper: a fake room (a `ws` server speaking the real codec) and a fake dispatcher,
// so the SDK is tested without the real room. Listens on port 0.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeClientFrame, encodeServerFrame, type ClientFrame, type ServerFrameInit } from '../protocol/codec';

/** One client connection seen by the fake room. */
export interface FakeConn {
  readonly ws: WebSocket;
  readonly frames: ClientFrame[];
  send(frame: ServerFrameInit): void;
  /** Sends several frames in one TCP write (so they reach the client in one read). */
  sendBatch(frames: ServerFrameInit[]): void;
  close(code: number, reason?: string): void;
}

/** Decides how the room answers a frame; return true when handled (skips the default). */
export type FrameHandler = (conn: FakeConn, frame: ClientFrame) => boolean | void;

export interface FakeRoom {
  readonly url: string;
  readonly conns: FakeConn[];
  /** Every frame of every connection, in arrival order. */
  readonly frames: ClientFrame[];
  handler: FrameHandler | undefined;
  /** heartbeat_seconds of AuthOk (default 30). */
  heartbeatSeconds: number;
  stop(): Promise<void>;
}

export async function startFakeRoom(handler?: FrameHandler): Promise<FakeRoom> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const port = (wss.address() as { port: number }).port;
  const room: FakeRoom = {
    url: `ws://127.0.0.1:${port}/ws`,
    conns: [],
    frames: [],
    handler,
    heartbeatSeconds: 30,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const c of room.conns) c.ws.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (ws) => {
    const conn = fakeConn(ws);
    room.conns.push(conn);
    ws.on('message', (data: Buffer) => {
      const frame = decodeClientFrame(data);
      conn.frames.push(frame);
      room.frames.push(frame);
      if (room.handler?.(conn, frame)) return;
      answer(room, conn, frame);
    });
  });
  return room;
}

function fakeConn(ws: WebSocket): FakeConn {
  return {
    ws,
    frames: [],
    send: (frame) => ws.send(encodeServerFrame(frame)),
    sendBatch: (frames) => {
      // ws has no public cork; its socket is the net.Socket under the connection.
      const socket = (ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      for (const f of frames) ws.send(encodeServerFrame(f));
      process.nextTick(() => socket.uncork());
    },
    close: (code, reason) => ws.close(code, reason),
  };
}

let sessions = 0;

function answer(room: FakeRoom, conn: FakeConn, frame: ClientFrame): void {
  if (frame.body === 'auth') {
    const resume = frame.auth?.resume ?? '';
    const sessionId = resume !== '' ? resume : `s${++sessions}`;
    conn.send({ authOk: { sessionId, heartbeatSeconds: room.heartbeatSeconds, serverTime: Date.now(), apps: ['demo'], resumed: resume !== '' } });
  } else if (frame.body === 'ping') {
    conn.send({ pong: { serverTime: Date.now() } });
  }
}

/** A fake dispatcher: answers each GET /v1/dispatch with answer(query). */
export interface FakeDispatch {
  readonly url: string;
  readonly queries: URLSearchParams[];
  stop(): Promise<void>;
}

export async function startFakeDispatch(answerFor: (q: URLSearchParams, n: number) => unknown): Promise<FakeDispatch> {
  const queries: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/v1/dispatch') {
      res.writeHead(404).end();
      return;
    }
    queries.push(url.searchParams);
    const body = answerFor(url.searchParams, queries.length);
    if (typeof body === 'number') res.writeHead(body).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves when check() is true (polled every 5 ms); rejects after timeoutMs. */
export async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A ws:// URL on which nothing listens (a port just opened and closed). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}/ws`;
}
