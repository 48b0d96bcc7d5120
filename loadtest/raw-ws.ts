/**
 * A lean WebSocket client on a bare TCP socket, for the simulated devices: RFC 6455 framing of
 * binary messages, ping/pong and close, no extensions, no timers and no event emitter of its own.
 * A few thousand of them fit in one worker at a fraction of the CPU the `ws` client takes (its
 * handshake goes through node's HTTP client). Frames are masked with an all-zero key, which the
 * RFC allows and which leaves the payload as it is (no copy, no XOR).
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** readyState values, as in the WebSocket API. */
export const WsState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;
export type WsStateValue = (typeof WsState)[keyof typeof WsState];

/** What a RawWs tells its owner. */
export interface RawWsHandler {
  onOpen(): void;
  onMessage(data: Buffer): void;
  /** Once, when the TCP socket is gone: the close code the server sent, else 1006. */
  onClose(code: number): void;
  onError(err: Error): void;
}

const Op = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;
const key = 'aGVyYWxkLWxvYWR0ZXN0IQ==';
const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
const headEnd = Buffer.from('\r\n\r\n');

/** One frame with the mask bit set and a zero key: header (2-10 bytes) + 4 zero bytes + payload. */
export function encodeFrame(opcode: number, payload: Uint8Array): Buffer {
  const n = payload.byteLength;
  const extra = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.allocUnsafe(2 + extra + 4 + n);
  out[0] = 0x80 | opcode;
  if (extra === 0) out[1] = 0x80 | n;
  else if (extra === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(n, 6);
  }
  out.writeUInt32BE(0, 2 + extra);
  out.set(payload, 6 + extra);
  return out;
}

export class RawWs {
  readyState: WsStateValue = WsState.Connecting;
  private readonly socket: Socket;
  /** Bytes received and not yet parsed (a partial head or frame). */
  private pending: Buffer | undefined;
  /** Parts of a fragmented message. */
  private parts: Buffer[] | undefined;
  private closeCode = 1006;

  constructor(url: URL, localAddress: string | undefined, private readonly h: RawWsHandler) {
    const path = `${url.pathname || '/'}${url.search}`;
    const s = connect({ host: url.hostname, port: Number(url.port || 80), localAddress, noDelay: true });
    this.socket = s;
    s.once('connect', () =>
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`),
    );
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', (err) => h.onError(err));
    s.once('close', () => {
      this.readyState = WsState.Closed;
      h.onClose(this.closeCode);
    });
  }

  send(data: Uint8Array): void {
    if (this.readyState === WsState.Open) this.socket.write(encodeFrame(Op.Binary, data));
  }

  /** A normal close: sends the close frame and ends the socket once the server answers. */
  close(code = 1000): void {
    if (this.readyState !== WsState.Open) return this.terminate();
    this.readyState = WsState.Closing;
    const body = Buffer.allocUnsafe(2);
    body.writeUInt16BE(code, 0);
    this.socket.write(encodeFrame(Op.Close, body));
  }

  terminate(): void {
    this.readyState = WsState.Closing;
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, d]) : d;
    this.pending = undefined;
    if (this.readyState === WsState.Connecting) {
      const end = buf.indexOf(headEnd);
      if (end < 0) return void (this.pending = buf);
      if (!this.handshakeOk(buf.toString('latin1', 0, end))) return void this.fail(new Error(`handshake refused: ${buf.toString('latin1', 0, Math.min(end, 80))}`));
      this.readyState = WsState.Open;
      this.h.onOpen();
      buf = buf.subarray(end + 4);
    }
    let at = 0;
    // Bounded by the bytes at hand: each pass consumes one whole frame or stops.
    while (at < buf.length && !this.socket.destroyed) {
      const used = this.frame(buf, at);
      if (used === 0) break;
      at += used;
    }
    if (at < buf.length) this.pending = buf.subarray(at);
  }

  private handshakeOk(head: string): boolean {
    if (!head.startsWith('HTTP/1.1 101')) return false;
    const m = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head);
    return m !== null && m[1] === accept;
  }

  /** Parses one frame at `at`; answers the bytes it used, 0 when the frame is not all here yet. */
  private frame(buf: Buffer, at: number): number {
    if (buf.length - at < 2) return 0;
    const b0 = buf[at];
    const b1 = buf[at + 1];
    let len = b1 & 0x7f;
    let head = 2;
    if (len === 126) {
      if (buf.length - at < 4) return 0;
      len = buf.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (buf.length - at < 10) return 0;
      if (buf.readUInt32BE(at + 2) !== 0) return this.fail(new Error('frame too long'));
      len = buf.readUInt32BE(at + 6);
      head = 10;
    }
    // Server frames are never masked (RFC 6455 5.1).
    if (b1 & 0x80) return this.fail(new Error('masked server frame'));
    if (buf.length - at < head + len) return 0;
    this.onFrame(b0 & 0x0f, (b0 & 0x80) !== 0, buf.subarray(at + head, at + head + len));
    return head + len;
  }

  private onFrame(opcode: number, fin: boolean, payload: Buffer): void {
    switch (opcode) {
      case Op.Binary:
      case Op.Text:
      case Op.Continuation:
        return this.onDataFrame(opcode, fin, payload);
      case Op.Ping:
        return void this.socket.write(encodeFrame(Op.Pong, payload));
      case Op.Pong:
        return;
      case Op.Close:
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (this.readyState === WsState.Open) this.socket.write(encodeFrame(Op.Close, payload.subarray(0, 2)));
        this.readyState = WsState.Closing;
        this.socket.end();
        return;
      default:
        this.fail(new Error(`unknown opcode ${opcode}`));
    }
  }

  private onDataFrame(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode !== Op.Continuation && fin) return this.h.onMessage(payload);
    // A fragmented message: the parts are copied, as the socket reuses its buffers.
    (this.parts ??= []).push(Buffer.from(payload));
    if (!fin) return;
    const whole = Buffer.concat(this.parts);
    this.parts = undefined;
    this.h.onMessage(whole);
  }

  /** Reports err and drops the socket; answers 0 (no bytes used) for frame(). */
  private fail(err: Error): 0 {
    this.h.onError(err);
    this.terminate();
    return 0;
  }
}
