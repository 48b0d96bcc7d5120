/**
 * Once a second: takes the workers' and the pusher's counters, reads the server's RSS and CPU
 * from /proc, appends a sample to the timeline and prints a progress line.
 */
import { addTally, newTally, type Fleet, type Tally } from './fleet';
import { percentileOf, totalOf } from './histogram';
import { readCpu, readRss, type CpuTime } from './target';

/** One second of the run. Rates are per second; latencies in ms (null when nothing arrived). */
export interface Sample {
  t: number;
  connected: number;
  connects: number;
  connectFails: number;
  drops: number;
  pushes: number;
  pushFails: number;
  deliveries: number;
  acks: number;
  /** Errors so far (all kinds). */
  errors: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  rssBytes: number | null;
  /** Server CPU over the second, percent of one core. */
  cpuPercent: number | null;
}

export class Monitor {
  readonly samples: Sample[] = [];
  readonly totals: Tally = newTally();
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private lastCpu: CpuTime | undefined;
  private lastAt = 0;
  private errorCount = 0;

  constructor(
    private readonly fleet: Fleet,
    private readonly serverPid: number | undefined,
    private readonly out: (line: string) => void,
  ) {}

  start(): void {
    this.t0 = Date.now();
    this.readServer();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Server RSS now (bytes), or null when not known. */
  rss(): number | null {
    if (this.serverPid === undefined) return null;
    try {
      return readRss(this.serverPid);
    } catch {
      return null; // the server exited: no reading
    }
  }

  private readServer(): { rss: number | null; cpu: number | null } {
    const now = Date.now();
    const rss = this.rss();
    let cpu: number | null = null;
    if (this.serverPid !== undefined && rss !== null) {
      try {
        const c = readCpu(this.serverPid);
        if (this.lastCpu) cpu = ((c.userMs + c.systemMs - this.lastCpu.userMs - this.lastCpu.systemMs) * 100) / Math.max(1, now - this.lastAt);
        this.lastCpu = c;
      } catch {
        cpu = null; // the server exited between the two reads
      }
    }
    this.lastAt = now;
    return { rss, cpu: cpu === null ? null : Math.round(cpu) };
  }

  private tick(): void {
    const s = this.fleet.second;
    this.fleet.second = newTally();
    addTally(this.totals, s);
    this.errorCount += totalOf(Object.values(s.errors));
    const server = this.readServer();
    const sample: Sample = {
      t: Math.round((Date.now() - this.t0) / 1000),
      connected: this.fleet.totalConnected(), connects: s.connects, connectFails: s.connectFails, drops: s.drops,
      pushes: s.pushes, pushFails: s.pushFails, deliveries: s.deliveries, acks: s.acks, errors: this.errorCount,
      p50: percentileOf(s.latency, 50), p90: percentileOf(s.latency, 90), p99: percentileOf(s.latency, 99),
      rssBytes: server.rss, cpuPercent: server.cpu,
    };
    this.samples.push(sample);
    this.out(progressLine(sample));
  }

  /** Takes whatever the workers reported since the last tick (call before reading totals at the end). */
  flush(): void {
    const s = this.fleet.second;
    this.fleet.second = newTally();
    addTally(this.totals, s);
  }
}

function progressLine(s: Sample): string {
  const lat = s.p50 === null ? '' : `  latency p50 ${s.p50} p99 ${s.p99} ms`;
  const server = s.rssBytes === null ? '' : `  server ${(s.rssBytes / 1048576).toFixed(0)} MiB ${s.cpuPercent ?? '-'}% cpu`;
  return `[${String(s.t).padStart(4)}s] connected ${s.connected}  +${s.connects}/s  fails ${s.connectFails}  pushes ${s.pushes}/s  deliveries ${s.deliveries}/s  acks ${s.acks}/s  errors ${s.errors}${lat}${server}`;
}
