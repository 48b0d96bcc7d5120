/**
 * The kernel's TCP counters that say when connects were dropped rather than served: a listen
 * queue that overflowed (uWebSockets.js listens with a backlog of 512) makes the client resend
 * its SYN after a second, which shows in a storm as a latency tail and a lower rate. Linux only;
 * loopback runs share one network namespace, so the counters are this machine's.
 */
import { readFileSync } from 'node:fs';

/** TcpExt counters from /proc/net/netstat, or undefined where there is none. */
export function readTcpExt(): Record<string, number> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/netstat', 'utf8');
  } catch {
    return undefined; // not Linux: the result just has no kernel counters
  }
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  if (lines.length < 2) return undefined;
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1);
  const out: Record<string, number> = {};
  names.forEach((n, i) => (out[n] = Number(values[i])));
  return out;
}

/** Listen-queue overflows and SYN retransmits between two readings (undefined when unreadable). */
export function connectDrops(before: Record<string, number> | undefined, after: Record<string, number> | undefined): { listenOverflows?: number; synRetransmits?: number } {
  if (!before || !after) return {};
  const d = (k: string): number | undefined => (k in before && k in after ? after[k] - before[k] : undefined);
  return { listenOverflows: d('ListenOverflows'), synRetransmits: d('TCPSynRetrans') };
}
