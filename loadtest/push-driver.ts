/**
 * The parent's side of the pusher process: starts unicast runs and adds what the center
 * accepted to the run's counters (and the accepted sequence numbers, for the loss check).
 */
import type { ChildProcess } from 'node:child_process';
import type { Tally } from './fleet';
import { SeqCounts } from './fleet';
import { addSparse } from './histogram';
import { bump, type PusherCommand, type PusherStats } from './ipc';
import { forkScript } from './target';

/** Settings of the pusher (see PusherCommand 'init'). */
export type PusherSettings = Omit<Extract<PusherCommand, { type: 'init' }>, 'type'>;

export class PushDriver {
  private proc: ChildProcess | undefined;
  readonly accepted = new SeqCounts();
  acceptedTotal = 0;
  sentTotal = 0;
  nextSeq = 0;
  /** Duration of the last run, first push to last answer, ms. */
  lastRunMs = 0;
  private finished: (() => void) | undefined;

  /** @param second the run's per-second counters, which this adds into. */
  constructor(private readonly second: () => Tally) {}

  start(settings: PusherSettings): void {
    const p = forkScript('pusher');
    this.proc = p;
    p.on('message', (m: PusherStats) => this.onStats(m));
    p.once('exit', () => this.finished?.());
    p.send({ type: 'init', ...settings } satisfies PusherCommand);
  }

  private onStats(m: PusherStats): void {
    if (m.type !== 'pusher') return;
    const t = this.second();
    t.pushes += m.accepted;
    t.pushFails += m.failed;
    for (const [k, n] of Object.entries(m.errors)) bump(t.errors, `push: ${k}`, n);
    addSparse(t.pushLatency, m.latency);
    for (const s of m.acceptedSeqs) this.accepted.add(s);
    this.acceptedTotal += m.accepted;
    this.sentTotal += m.sent;
    this.nextSeq = m.nextSeq;
    if (m.final) {
      this.lastRunMs = m.elapsedMs;
      this.finished?.();
    }
  }

  /** Pushes at `rate`/s for durationMs; resolves when the pusher says it is done (or it exits). */
  run(rate: number, durationMs: number): Promise<void> {
    const p = this.proc;
    if (p === undefined || !p.connected) return Promise.reject(new Error('the pusher is not running'));
    return new Promise((resolve) => {
      this.finished = () => {
        this.finished = undefined;
        resolve();
      };
      p.send({ type: 'run', rate, durationMs, firstSeq: this.nextSeq } satisfies PusherCommand);
    });
  }

  /** Sequence numbers accepted by the center but never received. */
  lost(received: SeqCounts, upTo: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < upTo; s++) if (this.accepted.get(s) > 0 && received.get(s) === 0) out.push(s);
    return out;
  }

  async close(waitMs = 5000): Promise<void> {
    const p = this.proc;
    if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    if (p.connected) p.send({ type: 'close' } satisfies PusherCommand);
    const timer = setTimeout(() => p.kill('SIGKILL'), waitMs);
    await exited;
    clearTimeout(timer);
  }
}
