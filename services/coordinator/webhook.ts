import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhook calls. Every POST carries:
 * - `X-Herald-Id`: the event's id, the same on every retry (for deduplication);
 * - `X-Herald-Timestamp`: ms since the Unix epoch when this attempt was signed;
 * - `X-Herald-Signature`: `sha256=` + hex HMAC-SHA256 with the app secret over `<timestamp>.<body>`.
 */
export const WebhookHeaders = {
  id: 'x-herald-id',
  timestamp: 'x-herald-timestamp',
  signature: 'x-herald-signature',
} as const;

/** The X-Herald-Signature value for a body sent at timestamp (ms). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What an integrator checks: the signature matches and the timestamp is within toleranceMs of now. */
export function verifyWebhook(secret: string, timestamp: string, signature: string, body: string, toleranceMs = 300_000, now = Date.now()): boolean {
  const ts = Number(timestamp);
  if (!/^\d{1,16}$/.test(timestamp) || Math.abs(now - ts) > toleranceMs) return false;
  const want = Buffer.from(signWebhook(secret, ts, body));
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The outcome of one call: ok for a 2xx answer read in full. */
export interface WebhookAnswer {
  ok: boolean;
  /** HTTP status, 0 when there was none (timeout, network error, refused locally). */
  status: number;
  /** The answer's body (2xx only). */
  body?: Buffer;
  /** Why it failed, for logs and error replies. */
  error?: string;
}

export interface WebhookOptions {
  timeoutMs: number;
  /** Calls in progress at once; more wait their turn. */
  maxConcurrent: number;
  /** Longest answer body read. */
  maxAnswerBytes: number;
}

/** A bounded pool of signed POSTs. */
export interface WebhookClient {
  /** POSTs body (JSON text) signed with secret; never throws. */
  post(url: string, secret: string, id: string, body: string): Promise<WebhookAnswer>;
  inFlight(): number;
  /** Aborts calls in progress and refuses new ones. */
  close(): void;
}

async function readCapped(res: Response, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > max) throw new Error(`answer over ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

const describe = (err: unknown): string => {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  if (e?.name === 'AbortError') return 'aborted';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
};

export function createWebhookClient(opts: WebhookOptions): WebhookClient {
  const closing = new AbortController();
  // Each waiter is resolved with true when a finishing call hands it its slot, false on close.
  const waiting: ((slot: boolean) => void)[] = [];
  // Calls waiting for a slot beyond this fail at once (and are retried later through the queue).
  const maxWaiting = opts.maxConcurrent * 16;
  let active = 0;

  async function call(url: string, secret: string, id: string, body: string): Promise<WebhookAnswer> {
    const timestamp = Date.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          [WebhookHeaders.id]: id,
          [WebhookHeaders.timestamp]: String(timestamp),
          [WebhookHeaders.signature]: signWebhook(secret, timestamp, body),
        },
        body,
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(opts.timeoutMs)]),
      });
      if (res.status < 200 || res.status > 299) {
        // The status says what failed; a body that cannot be discarded changes nothing.
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, status: res.status, error: `HTTP ${res.status}` };
      }
      return { ok: true, status: res.status, body: await readCapped(res, opts.maxAnswerBytes) };
    } catch (err) {
      return { ok: false, status: 0, error: describe(err) };
    }
  }

  return {
    async post(url, secret, id, body) {
      if (closing.signal.aborted) return { ok: false, status: 0, error: 'coordinator stopping' };
      if (active < opts.maxConcurrent) active++;
      else {
        if (waiting.length >= maxWaiting) return { ok: false, status: 0, error: 'too many webhook calls waiting' };
        const slot = await new Promise<boolean>((resolve) => waiting.push(resolve));
        if (!slot) return { ok: false, status: 0, error: 'coordinator stopping' };
      }
      try {
        return await call(url, secret, id, body);
      } finally {
        const next = waiting.shift();
        if (next) next(true);
        else active--;
      }
    },
    inFlight: () => active,
    close() {
      closing.abort();
      for (let w = waiting.shift(); w; w = waiting.shift()) w(false);
    },
  };
}
