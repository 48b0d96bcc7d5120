/**
 * A client worker process (forked by the load-test parent): holds up to a few thousand
 * simulated devices, obeys the parent's commands and reports its counters every reportMs.
 */
import { ClientPool, newCounters } from './client-pool';
import { toSparse } from './histogram';
import { reportMs, type WorkerCommand, type WorkerEvent, type WorkerInit, type WorkerStats } from './ipc';

let pool: ClientPool | undefined;
let worker = -1;
const timers: NodeJS.Timeout[] = [];

function send(e: WorkerEvent): void {
  if (process.connected) process.send!(e);
}

function report(): void {
  if (pool === undefined) return;
  const k = pool.counters;
  pool.counters = newCounters();
  const s: WorkerStats = {
    type: 'stats', worker, connected: pool.live, connects: k.connects, connectFails: k.connectFails, drops: k.drops,
    deliveries: k.deliveries, acks: k.acks, errors: k.errors, latency: toSparse(k.latency), connectLatency: toSparse(k.connectLatency), seqs: k.seqs,
  };
  send(s);
}

/** Starts devices [from, to) at `rate`/s, at most `inflight` handshakes at once; reports when all settled. */
function connectRange(p: ClientPool, from: number, to: number, rate: number, inflight: number): void {
  const t0 = Date.now();
  let next = from;
  const tick = setInterval(() => {
    const due = Math.min(to, from + Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
    // Bounded by `due` and the in-flight cap.
    while (next < due && p.inflight < inflight) p.connect(next++);
    if (next >= to && p.inflight === 0) {
      clearInterval(tick);
      let connected = 0;
      for (let i = from; i < to; i++) if (p.isLive(i)) connected++;
      // connected: every live client of this worker (earlier ranges too); failed: of this range.
      send({ type: 'connectDone', worker, connected: p.live, failed: to - from - connected });
    }
  }, 5);
  timers.push(tick);
}

function start(init: WorkerInit): void {
  worker = init.worker;
  pool = new ClientPool(init, {
    broadcastDone: (n, seen) => send({ type: 'broadcastDone', worker, n, count: seen.count, first: seen.first, last: seen.last }),
  });
  const p = pool;
  timers.push(setInterval(() => p.sweep(), 1000));
  timers.push(setInterval(report, reportMs));
  send({ type: 'ready', worker });
}

async function close(): Promise<void> {
  for (const t of timers) clearInterval(t);
  if (pool !== undefined) {
    await pool.closeAll(3000);
    report();
  }
  send({ type: 'closed', worker });
  process.disconnect();
}

process.on('message', (cmd: WorkerCommand) => {
  switch (cmd.type) {
    case 'init':
      return start(cmd);
    case 'connect':
      if (pool) connectRange(pool, cmd.from, cmd.to, cmd.rate, cmd.inflight);
      return;
    case 'churn':
      pool?.churn(cmd.count);
      return;
    case 'close':
      void close();
      return;
  }
});
// The parent went away: nothing to report to, so leave.
process.on('disconnect', () => {
  for (const t of timers) clearInterval(t);
  pool?.clients.forEach((c) => c?.ws.terminate());
});
