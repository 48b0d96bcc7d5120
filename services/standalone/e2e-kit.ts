import WebSocket from 'ws';
import { createNodeClient, type HeraldClient, type PushMessage } from '../../shared/client/node';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { decodeServerFrame, encodeClientFrame, type ServerFrame } from '../../shared/protocol/codec';
import type { StandaloneOptions } from './config';
import { demoApp } from './demo-app';
import { createStandalone, type Standalone } from './standalone';

export const API_KEY = demoApp.apiKeys[0];

/** Starts a standalone Herald on free ports with the given options merged over test defaults. */
export async function startHerald(opts: StandaloneOptions = {}): Promise<Standalone> {
  const herald = createStandalone(
    {
      ...opts,
      room: { port: 0, ...opts.room },
      center: { port: 0, ...opts.center },
      dispatcher: { port: 0, cacheMs: 0, ...opts.dispatcher },
    },
    { log: createLogger({}, 'error'), metrics: createRegistry(), env: {} },
  );
  await herald.start();
  return herald;
}

/** Calls the center's API as the demo app. */
export async function api(h: Standalone, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.center().url()}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function mintToken(h: Standalone, device: string, uid?: string): Promise<string> {
  const r = await api(h, 'POST', '/v1/apps/demo/tokens', { device, uid });
  if (r.status !== 200) throw new Error(`token mint failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

export async function push(h: Standalone, to: unknown, payload: unknown, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api(h, 'POST', '/v1/apps/demo/messages', { to, payload, ...extra });
  if (r.status !== 202) throw new Error(`push failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

/** A connected SDK client that records the pushes it gets. */
export interface TestDevice {
  client: HeraldClient;
  pushes: PushMessage[];
  closed: { code: number; reason: string }[];
}

/** Connects through the dispatcher, or straight to one room with opts.url. */
export async function connectDevice(h: Standalone, token: string, opts: { autoAck?: boolean; url?: string } = {}): Promise<TestDevice> {
  const client = createNodeClient({
    tokens: [token],
    ...(opts.url ? { urls: [opts.url] } : { dispatchUrl: h.dispatcher().url() }),
    autoAck: opts.autoAck ?? true,
    backoff: { initialMs: 50, maxMs: 200 },
    maxAttempts: 5,
  });
  const dev: TestDevice = { client, pushes: [], closed: [] };
  client.on('push', (m) => dev.pushes.push(m));
  client.on('closed', (e) => dev.closed.push(e));
  await client.connect();
  return dev;
}

export function text(m: PushMessage): string {
  return Buffer.from(m.payload).toString('utf8');
}

/** Polls until check() returns a truthy value or the time is up. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, ms = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw socket to the room (to send bytes the SDK never would), recording frames and the close. */
export interface RawSocket {
  ws: WebSocket;
  frames: ServerFrame[];
  close: Promise<{ code: number; reason: string }>;
}

export async function rawSocket(h: Standalone, url = h.room().urls()[0]): Promise<RawSocket> {
  const ws = new WebSocket(url);
  const frames: ServerFrame[] = [];
  ws.on('message', (data: Buffer) => frames.push(decodeServerFrame(data)));
  const close = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, close };
}

/** Lean raw-socket devices for tests with many of them: auth, ack every qos 1 push, record arrivals. */
export interface LeanDevices {
  /** Arrival times (ms) per message id, one entry per delivery. */
  arrivals: Map<string, number[]>;
  close(): void;
}

export async function leanDevices(urls: string[], tokens: string[]): Promise<LeanDevices> {
  const arrivals = new Map<string, number[]>();
  const sockets: WebSocket[] = [];
  await Promise.all(
    tokens.map(
      (token, i) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(urls[i % urls.length]);
          sockets.push(ws);
          ws.once('open', () => ws.send(encodeClientFrame({ seq: 1, auth: { tokens: [token] } })));
          ws.once('error', reject);
          ws.on('message', (data: Buffer) => {
            const f = decodeServerFrame(data);
            if (f.authOk) resolve();
            if (!f.push?.id) return;
            const id = f.push.id;
            const list = arrivals.get(id) ?? [];
            list.push(Date.now());
            arrivals.set(id, list);
            if (f.push.qos === 1) ws.send(encodeClientFrame({ ack: { ids: [id] } }));
          });
        }),
    ),
  );
  return { arrivals, close: () => sockets.forEach((s) => s.close()) };
}
