/**
 * A lean keep-alive HTTP/1.1 client connection for the pusher: one request at a time, the
 * response read just far enough to know its status and where it ends (Content-Length or chunked).
 * node's HTTP client costs the load generator several times more CPU per request, which on a
 * 2-core machine is CPU taken from the server under measurement.
 */
import { connect, type Socket } from 'node:net';

/** The answer to one request: the status code, or null with why the connection failed. */
export type HttpDone = (status: number | null, error?: string) => void;

const headEnd = Buffer.from('\r\n\r\n');
const crlf = Buffer.from('\r\n');

/** Where the response that starts at 0 ends in buf: its length, 0 if not all here, -1 if unreadable. */
export function responseLength(buf: Buffer): number {
  const end = buf.indexOf(headEnd);
  if (end < 0) return 0;
  const head = buf.toString('latin1', 0, end);
  const bodyAt = end + 4;
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (len) return buf.length >= bodyAt + Number(len[1]) ? bodyAt + Number(len[1]) : 0;
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) return /^HTTP\/1\.1 (204|304)/.test(head) ? bodyAt : -1;
  let at = bodyAt;
  // Bounded by the bytes at hand: each pass steps over one whole chunk or stops.
  for (;;) {
    const lineEnd = buf.indexOf(crlf, at);
    if (lineEnd < 0) return 0;
    const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16);
    if (!Number.isFinite(size)) return -1;
    const next = lineEnd + 2 + size + 2;
    if (buf.length < next) return 0;
    if (size === 0) return next;
    at = next;
  }
}

export class HttpConn {
  busy = false;
  alive = true;
  private pending: Buffer | undefined;
  private done: HttpDone | undefined;
  private readonly socket: Socket;

  constructor(host: string, port: number, onGone: (c: HttpConn) => void) {
    const s = connect({ host, port, noDelay: true });
    this.socket = s;
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('error', (err) => this.finish(null, err.message));
    s.once('close', () => {
      this.alive = false;
      this.finish(null, 'connection closed');
      onGone(this);
    });
  }

  /** Sends one request (head and body in one write); done is called exactly once. */
  request(head: string, body: string, done: HttpDone): void {
    this.busy = true;
    this.done = done;
    this.socket.write(head + body);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, d]) : d;
    this.pending = undefined;
    const n = responseLength(buf);
    if (n === 0) return void (this.pending = buf);
    if (n < 0) {
      this.finish(null, 'unreadable response');
      return this.close();
    }
    const status = Number(buf.toString('latin1', 9, 12));
    this.finish(Number.isInteger(status) ? status : null, 'bad status line');
  }

  private finish(status: number | null, error?: string): void {
    const done = this.done;
    this.done = undefined;
    this.busy = false;
    done?.(status, status === null ? error : undefined);
  }
}
