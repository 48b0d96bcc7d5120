/**
 * The pusher process (forked by the load-test parent): POSTs unicast pushes to the center at
 * a steady rate over keep-alive connections (http-conn.ts, one request at a time each), one
 * random device per push, and reports what the center accepted every reportMs.
 */
import { HttpConn } from './http-conn';
import { bucketOf, newHistogram, toSparse } from './histogram';
import { bump, encodePayload, epochMs, reportMs, type PusherCommand, type PusherStats } from './ipc';

type Init = Extract<PusherCommand, { type: 'init' }>;

let init: Init | undefined;
let target: { host: string; port: number; head: string } | undefined;
/** Open connections, and those with no request on them. */
const conns = new Set<HttpConn>();
const idle: HttpConn[] = [];
let inflight = 0;
let running: NodeJS.Timeout | undefined;
let every: NodeJS.Timeout | undefined;
let counters = fresh();

function fresh(): Omit<PusherStats, 'type' | 'final' | 'nextSeq' | 'elapsedMs'> & { latencyH: Uint32Array } {
  return { sent: 0, accepted: 0, failed: 0, errors: {}, latency: [], latencyH: newHistogram(), acceptedSeqs: [] };
}

function report(final: boolean, nextSeq: number, elapsedMs = 0): void {
  const k = counters;
  counters = fresh();
  const s: PusherStats = { type: 'pusher', sent: k.sent, accepted: k.accepted, failed: k.failed, errors: k.errors, latency: toSparse(k.latencyH), acceptedSeqs: k.acceptedSeqs, final, nextSeq, elapsedMs };
  if (process.connected) process.send!(s);
}

/** An idle connection, or a new one (the caller keeps at most init.inflight busy). */
function connection(t: NonNullable<typeof target>): HttpConn {
  for (let c = idle.pop(); c; c = idle.pop()) if (c.alive) return c;
  const c = new HttpConn(t.host, t.port, (gone) => conns.delete(gone));
  conns.add(c);
  return c;
}

function pushOne(i: Init, seq: number): void {
  const t = target!;
  const device = `${i.devicePrefix}${Math.floor(Math.random() * i.devices)}`;
  const body = JSON.stringify({ to: { devices: [device] }, payloadBase64: encodePayload(seq).toString('base64'), ttl: i.ttl, qos: i.qos });
  const t0 = epochMs();
  inflight++;
  counters.sent++;
  const conn = connection(t);
  conn.request(`${t.head}${Buffer.byteLength(body)}\r\n\r\n`, body, (status, error) => {
    inflight--;
    if (conn.alive) idle.push(conn);
    const k = counters;
    k.latencyH[bucketOf(epochMs() - t0)]++;
    if (status !== null && status >= 200 && status < 300) {
      k.accepted++;
      k.acceptedSeqs.push(seq);
    } else {
      k.failed++;
      bump(k.errors, status === null ? `request: ${(error ?? '').replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'ADDR')}` : `HTTP ${status}`);
    }
  });
}

/** The request head up to the Content-Length value, the same for every push. */
function requestHead(i: Init): NonNullable<typeof target> {
  const url = new URL(`/v1/apps/${encodeURIComponent(i.app)}/messages`, i.centerUrl);
  const head = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${i.apiKey}\r\nContent-Type: application/json\r\nContent-Length: `;
  return { host: url.hostname, port: Number(url.port || 80), head };
}

/** Pushes at `rate`/s for `durationMs` (capped by the in-flight limit), then waits for answers. */
function run(i: Init, rate: number, durationMs: number, firstSeq: number): void {
  const t0 = Date.now();
  let seq = firstSeq;
  every = setInterval(() => report(false, seq), reportMs);
  running = setInterval(() => {
    const elapsed = Date.now() - t0;
    const due = firstSeq + Math.floor((Math.min(elapsed, durationMs) / 1000) * rate);
    // Bounded by `due` and the in-flight cap; what the cap holds back is sent late, not lost.
    while (seq < due && inflight < i.inflight) pushOne(i, seq++);
    // Stop at the end, once answers are in (or 10 s after the end at most).
    if ((elapsed >= durationMs && seq >= due && inflight === 0) || elapsed > durationMs + 10_000) {
      clearInterval(running);
      clearInterval(every);
      running = undefined;
      report(true, seq, Date.now() - t0);
    }
  }, 2);
}

process.on('message', (cmd: PusherCommand) => {
  switch (cmd.type) {
    case 'init':
      init = cmd;
      target = requestHead(cmd);
      return;
    case 'run':
      if (init && !running) run(init, cmd.rate, cmd.durationMs, cmd.firstSeq);
      return;
    case 'close':
      process.disconnect();
      return;
  }
});
// The parent went away: stop pushing and let the process end.
process.on('disconnect', () => {
  clearInterval(running);
  clearInterval(every);
  for (const c of conns) c.close();
});
