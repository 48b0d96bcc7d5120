/**
 * The pusher process (forked by the load-test parent): POSTs unicast pushes to the center at
 * a steady rate over keep-alive connections, one random device per push, and reports what
 * the center accepted every second.
 */
import { Agent, request } from 'node:http';
import { bucketOf, newHistogram, toSparse } from './histogram';
import { bump, encodePayload, epochMs, type PusherCommand, type PusherStats } from './ipc';

type Init = Extract<PusherCommand, { type: 'init' }>;

let init: Init | undefined;
let agent: Agent | undefined;
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

function pushOne(i: Init, seq: number): void {
  const device = `${i.devicePrefix}${Math.floor(Math.random() * i.devices)}`;
  const body = JSON.stringify({ to: { devices: [device] }, payloadBase64: encodePayload(seq).toString('base64'), ttl: i.ttl, qos: i.qos });
  const url = new URL(`/v1/apps/${encodeURIComponent(i.app)}/messages`, i.centerUrl);
  const t0 = epochMs();
  inflight++;
  counters.sent++;
  const done = (status: string | null): void => {
    inflight--;
    const k = counters;
    k.latencyH[bucketOf(epochMs() - t0)]++;
    if (status === null) {
      k.accepted++;
      k.acceptedSeqs.push(seq);
    } else {
      k.failed++;
      bump(k.errors, status);
    }
  };
  const req = request(url, { method: 'POST', agent, headers: { authorization: `Bearer ${i.apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
    res.resume();
    res.on('end', () => done(ok ? null : `HTTP ${res.statusCode}`));
    res.on('error', (err) => done(`response: ${err.message}`));
  });
  req.on('error', (err) => done(`request: ${err.message.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'ADDR')}`));
  req.end(body);
}

/** Pushes at `rate`/s for `durationMs` (capped by the in-flight limit), then waits for answers. */
function run(i: Init, rate: number, durationMs: number, firstSeq: number): void {
  const t0 = Date.now();
  let seq = firstSeq;
  every = setInterval(() => report(false, seq), 1000);
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
      agent = new Agent({ keepAlive: true, maxSockets: cmd.inflight });
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
  agent?.destroy();
});
