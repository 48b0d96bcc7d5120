import { ErrorCode } from '../protocol/codes';
import { RequestError, type ReplyResult } from './types';

interface Pending {
  resolve(reply: ReplyResult): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const MAX_SEQ = 0xffffffff;

/**
 * Requests waiting for their Reply, keyed by seq. seq runs 1..2^32-1 and wraps; 0 is never
 * used because unsolicited server frames carry seq 0.
 */
export class PendingRequests {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** Reserves the next seq and a promise settled by resolve()/reject() or the timeout. */
  open(what: string): { seq: number; promise: Promise<ReplyResult> } {
    do {
      this.seq = this.seq >= MAX_SEQ ? 1 : this.seq + 1;
    } while (this.pending.has(this.seq));
    const seq = this.seq;
    const promise = new Promise<ReplyResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new RequestError(ErrorCode.Unavailable, `${what} timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(seq, { resolve, reject, timer });
    });
    return { seq, promise };
  }

  /** Settles the request with this seq from a Reply; false when none waits for it. */
  reply(seq: number, code: number, message: string, payload: Uint8Array, apps: string[]): boolean {
    const p = this.take(seq);
    if (!p) return false;
    if (code === ErrorCode.Ok) p.resolve({ message, payload, apps });
    else p.reject(new RequestError(code, message || `request failed with code ${code}`));
    return true;
  }

  /** Rejects the request with this seq (an Error frame answered it); false when none waits. */
  fail(seq: number, err: Error): boolean {
    const p = this.take(seq);
    if (!p) return false;
    p.reject(err);
    return true;
  }

  /** Rejects every waiting request (the connection is gone). */
  failAll(message: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new RequestError(ErrorCode.Unavailable, message));
    }
  }

  private take(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    return p;
  }
}
