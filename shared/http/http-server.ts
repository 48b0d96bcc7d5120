import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/log';
import { HttpError, badRequest, notFound } from './errors';

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined when empty). */
  body: unknown;
}

export interface Reply {
  status?: number;
  body?: unknown;
  /** Raw text instead of JSON (e.g. Prometheus metrics, HTML). */
  text?: string;
  contentType?: string;
}

export type Handler = (req: Request) => Promise<Reply> | Reply;
export interface Route {
  method: string;
  /** Path pattern with :params, e.g. /v1/apps/:app/messages/:id */
  path: string;
  handler: Handler;
}

export interface HttpServerOptions {
  name: string;
  host: string;
  port: number;
  routes: Route[];
  log: Logger;
  metrics: Registry;
  /** /readyz answers 200 while this returns true. */
  ready?: () => boolean;
  /** Largest accepted request body, bytes. */
  maxBody?: number;
}

export interface HttpServer {
  start(): Promise<number>;
  stop(): Promise<void>;
  url(): string;
}

interface Compiled { method: string; parts: string[]; handler: Handler }

function compile(routes: Route[]): Compiled[] {
  return routes.map((r) => ({ method: r.method, parts: r.path.split('/').filter(Boolean), handler: r.handler }));
}

function match(route: Compiled, parts: string[]): Record<string, string> | undefined {
  if (route.parts.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const want = route.parts[i];
    if (want.startsWith(':')) params[want.slice(1)] = decodeURIComponent(parts[i]);
    else if (want !== parts[i]) return undefined;
  }
  return params;
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'payload_too_large', `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw badRequest(`body is not valid JSON: ${(err as Error).message}`, 'bad_json');
  }
}

function send(res: ServerResponse, reply: Reply): void {
  const status = reply.status ?? 200;
  if (reply.text !== undefined) {
    res.writeHead(status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' });
    res.end(reply.text);
    return;
  }
  if (reply.body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(reply.body));
}

/** A small JSON HTTP server with /healthz, /readyz and /metrics built in. */
export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const builtIn: Route[] = [
    { method: 'GET', path: '/healthz', handler: () => ({ body: { ok: true } }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: () => ((opts.ready?.() ?? true) ? { body: { ready: true } } : { status: 503, body: { ready: false } }),
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async () => ({ text: await opts.metrics.metrics(), contentType: opts.metrics.contentType }),
    },
  ];
  const routes = compile([...builtIn, ...opts.routes]);
  const maxBody = opts.maxBody ?? 1024 * 1024;
  const log = opts.log;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean);
    let pathMatched = false;
    try {
      for (const r of routes) {
        const params = match(r, parts);
        if (!params) continue;
        pathMatched = true;
        if (r.method !== req.method) continue;
        const body = await readBody(req, maxBody);
        const reply = await r.handler({ method: r.method, path: url.pathname, params, query: url.searchParams, headers: req.headers, body });
        send(res, reply);
        return;
      }
      throw pathMatched ? new HttpError(405, 'method_not_allowed', `${req.method} not allowed here`) : notFound(`no route for ${url.pathname}`);
    } catch (err) {
      if (!(err instanceof HttpError)) log.error('request failed', { path: url.pathname, err });
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
      if (!res.headersSent) send(res, { status: e.status, body: { error: { code: e.code, message: e.message } } });
      else res.end();
    }
  }

  let server: Server | undefined;
  let port = opts.port;
  return {
    async start() {
      server = createServer((req, res) => void handle(req, res));
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(opts.port, opts.host, () => resolve());
      });
      port = (server.address() as AddressInfo).port;
      log.info(`${opts.name} listening`, { url: `http://${opts.host}:${port}` });
      return port;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    url: () => `http://${opts.host}:${port}`,
  };
}
