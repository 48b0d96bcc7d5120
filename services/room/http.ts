import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../../shared/log/log';
import type { Registry } from '../../shared/metrics/metrics';

export interface RoomHttpOptions {
  /** /readyz answers 200 while this is true (started and not draining). */
  ready(): boolean;
  metrics: Registry;
  log: Logger;
  /** The WebSocket path: a plain GET there gets 426 instead of 404. */
  wsPath: string;
}

function json(res: HttpResponse, status: string, body: unknown): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify(body));
  });
}

function errorBody(code: string, message: string): unknown {
  return { error: { code, message } };
}

async function metricsText(res: HttpResponse, opts: RoomHttpOptions): Promise<void> {
  const state = { aborted: false };
  res.onAborted(() => {
    state.aborted = true;
  });
  try {
    const text = await opts.metrics.metrics();
    if (state.aborted) return;
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('content-type', opts.metrics.contentType).end(text);
    });
  } catch (err) {
    opts.log.error('metrics failed', { err });
    if (!state.aborted) json(res, '500 Internal Server Error', errorBody('internal', 'metrics failed'));
  }
}

/** /healthz, /readyz and /metrics on the room's own uWS app (the same port as the sockets). */
export function mountHttp(app: TemplatedApp, opts: RoomHttpOptions): void {
  app.get('/healthz', (res) => json(res, '200 OK', { ok: true }));
  app.get('/readyz', (res) =>
    opts.ready() ? json(res, '200 OK', { ready: true }) : json(res, '503 Service Unavailable', { ready: false }),
  );
  app.get('/metrics', (res) => void metricsText(res, opts));
  app.any('/*', (res, req) => {
    const path = req.getUrl();
    if (path === opts.wsPath) json(res, '426 Upgrade Required', errorBody('upgrade_required', 'connect with WebSocket'));
    else json(res, '404 Not Found', errorBody('not_found', `no route for ${path}`));
  });
}
