import type { StatusEvent } from '../../shared/contracts/coordinator';
import { CloseCode } from '../../shared/protocol/codes';
import type { Binding, RoomContext } from './context';

/** Offline reasons the room sets itself (the others are close-code names). */
export const OfflineReason = { Kicked: 'kicked', Replaced: 'replaced', Drain: 'drain', Unbind: 'unbind' } as const;
export const ONLINE_REASON = 'connect';

const wsCodeNames: Record<number, string> = { 1000: 'normal', 1001: 'going_away', 1005: 'no_status', 1006: 'abnormal', 1009: 'too_big' };
const closeCodeNames = new Map<number, string>();
for (const [name, code] of Object.entries(CloseCode)) {
  // HeartbeatTimeout -> heartbeat_timeout, like the reasons the room sets.
  closeCodeNames.set(code, name.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toLowerCase());
}

/** A close code's name as an offline reason: 'heartbeat_timeout', 'abnormal', 'code_4321'. */
export function closeCodeName(code: number): string {
  return closeCodeNames.get(code) ?? wsCodeNames[code] ?? `code_${code}`;
}

function push(ctx: RoomContext, bindings: Binding[], online: boolean, reason: string): void {
  const time = Date.now();
  for (const b of bindings) {
    ctx.status.push({ app: b.app, device: b.device, user: b.user, roomId: ctx.roomId, online, time, reason });
  }
}

/** Queues online events for newly registered bindings (auth, bind). */
export function reportOnline(ctx: RoomContext, bindings: Binding[]): void {
  push(ctx, bindings, true, ONLINE_REASON);
}

/** Queues offline events for bindings that went (close, unbind, kick, drain, grace expiry). */
export function reportOffline(ctx: RoomContext, bindings: Binding[], reason: string): void {
  push(ctx, bindings, false, reason);
}

/** The status batcher's flush: one coordinator.status call; a failure is logged and counted, never fatal. */
export async function flushStatus(ctx: RoomContext, events: StatusEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await ctx.coordinator.status(events);
  } catch (err) {
    ctx.metrics.statusFailures.inc();
    ctx.log.warn('status events failed', { events: events.length, err });
  }
}
