/**
 * The cluster test suite's harness: a local cluster (every service its own process, as
 * `npm run cluster` starts them) on the test run's Redis and MariaDB, isolated by a key
 * prefix and a fresh database, plus a webhook server and small API helpers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeClient, type ConnectedEvent, type HeraldClient, type PushMessage } from '../../shared/client/node';
import type { App } from '../../shared/contracts/apps';
import { testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { createLocalCluster, type LocalCluster, type LocalClusterOptions } from '../../shared/testing/local-cluster';
import { freshMysqlDatabase } from '../../shared/testing/mysql-test-db';
import { deleteKeysWithPrefix } from '../../shared/testing/redis-wipe';
import { demoApp } from '../standalone/demo-app';

export const API_KEY = demoApp.apiKeys[0];

/** Knobs that make failures show fast: rooms announce often, tasks of a dead center time out soon. */
export const fastFailover: LocalClusterOptions['env'] = {
  room: { HERALD_ROOM_ANNOUNCE_INTERVAL_MS: '300', HERALD_ROOM_STOP_DRAIN_DEADLINE_MS: '500' },
  dispatcher: { HERALD_DISPATCHER_CACHE_MS: '0' },
  center: { HERALD_CENTER_TASK_TIMEOUT_MS: '2000', HERALD_CENTER_TASK_RETRY_DELAY_MS: '200' },
};

/** Records the webhook calls the coordinator makes and answers each with a reply. */
export interface WebhookServer {
  url: string;
  hits: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startWebhookServer(): Promise<WebhookServer> {
  const hits: WebhookServer['hits'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      hits.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: { echo: body.payload } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TestCluster {
  cluster: LocalCluster;
  hooks: WebhookServer;
  /** Base URL of center i (0-based). */
  center(i?: number): string;
  stop(): Promise<void>;
}

/** Starts the cluster with the demo app routed to a local webhook ('chat' upstreams). */
export async function startTestCluster(extra: Partial<LocalClusterOptions> = {}): Promise<TestCluster> {
  const hooks = await startWebhookServer();
  const prefix = uniquePrefix('cluster');
  const app: App = { ...demoApp, routes: { chat: `${hooks.url}/chat` } };
  const cluster = await createLocalCluster({
    redisUrl: testRedisUrl(),
    mysqlUrl: await freshMysqlDatabase('cluster'),
    prefix,
    apps: [app],
    env: fastFailover,
    // HERALD_CLUSTER_KEEP_LOGS=1 leaves each process's log in the printed folder, to debug a failure.
    keepLogs: process.env.HERALD_CLUSTER_KEEP_LOGS === '1',
    logLevel: process.env.HERALD_CLUSTER_KEEP_LOGS === '1' ? 'info' : 'warn',
    ...extra,
  });
  const stop = async (): Promise<void> => {
    try {
      await cluster.stop(5000);
    } finally {
      await hooks.close();
      await deleteKeysWithPrefix(testRedisUrl(), prefix);
    }
  };
  if (process.env.HERALD_CLUSTER_KEEP_LOGS === '1') process.stderr.write(`cluster logs: ${cluster.dir}\n`);
  try {
    await cluster.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { cluster, hooks, center: (i = 0) => cluster.addresses.centers[i], stop };
}

export async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function mintToken(base: string, device: string, uid?: string): Promise<string> {
  const r = await api(base, 'POST', '/v1/apps/demo/tokens', { device, uid });
  if (r.status !== 200) throw new Error(`token mint failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

export async function push(base: string, to: unknown, payload: unknown, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api(base, 'POST', '/v1/apps/demo/messages', { to, payload, ...extra });
  if (r.status !== 202) throw new Error(`push failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

/** An SDK client that records what it hands to the app and where it is connected. */
export interface TestDevice {
  id: string;
  client: HeraldClient;
  pushes: PushMessage[];
  connects: ConnectedEvent[];
  /** The room id of the last connect. */
  roomId(): string;
}

/** Connects through the dispatcher (or straight to the given room URLs). */
export async function connectDevice(base: string, dispatchUrl: string, id: string, opts: { uid?: string; urls?: string[] } = {}): Promise<TestDevice> {
  const client = createNodeClient({
    tokens: [await mintToken(base, id, opts.uid)],
    ...(opts.urls ? { urls: opts.urls } : { dispatchUrl }),
    backoff: { initialMs: 50, maxMs: 300 },
    requestTimeoutMs: 5000,
  });
  const dev: TestDevice = { id, client, pushes: [], connects: [], roomId: () => dev.connects[dev.connects.length - 1]?.roomId ?? '' };
  client.on('push', (m) => dev.pushes.push(m));
  client.on('connected', (e) => dev.connects.push(e));
  await client.connect();
  return dev;
}

export const text = (m: PushMessage): string => Buffer.from(m.payload).toString('utf8');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until check() returns a truthy value or the time is up. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, ms = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
