import type { Delivery, LogEntry, Message } from '../../shared/contracts/saver';
import type { DeliverResult, RoomDelivery } from '../../shared/contracts/room';
import { checkBackpressure, connById, Phase, writeFrame, type Binding, type ConnState, type RoomContext } from './context';
import { loadLogs, writeLogEntries } from './log-delivery';
import { encodePush } from './push-frame';
import { keepForGrace, keepUnacked } from './unacked';

/** One push for one connection. */
export interface Outgoing {
  state: ConnState;
  message: Message;
}

/**
 * Writes the allowed pushes synchronously (one event-loop turn): grouped by connection so each
 * socket is corked once, each message encoded once however many connections get it. Returns
 * how many were written; connections closed meanwhile are skipped.
 */
export function writePushes(ctx: RoomContext, out: Outgoing[], allowed: boolean[]): number {
  const groups = new Map<ConnState, number[]>();
  for (let i = 0; i < out.length; i++) {
    if (!allowed[i]) continue;
    const group = groups.get(out[i].state);
    if (group) group.push(i);
    else groups.set(out[i].state, [i]);
  }
  const frames = new Map<string, Uint8Array>();
  const frameOf = (m: Message): Uint8Array => {
    const key = `${m.app}\u0000${m.id}`;
    let bytes = frames.get(key);
    if (!bytes) frames.set(key, (bytes = encodePush(m)));
    return bytes;
  };
  let sent = 0;
  for (const [state, indexes] of groups) {
    const ws = state.ws;
    if (state.phase !== Phase.Ready || !ws) continue;
    ws.cork(() => {
      for (const i of indexes) {
        const m = out[i].message;
        const bytes = frameOf(m);
        writeFrame(ctx, state, bytes, 'push');
        if (m.qos === 1) keepUnacked(ctx, state, m.id, bytes);
      }
    });
    sent += indexes.length;
    checkBackpressure(ctx, state);
  }
  ctx.metrics.pushesSent.inc(sent);
  return sent;
}

/**
 * After the saver.attempt await: a connection that closed meanwhile no longer gets its pushes
 * written. Where its session was resumed by a ready connection, they go to that one; else they
 * join its grace entry (or the resume in progress), written when it resumes: a resume reloads
 * nothing, so a push dropped here would wait in the inbox until the device connects afresh.
 * Answers how many went nowhere (still stored).
 */
function retarget(ctx: RoomContext, out: Outgoing[], deliveries: Delivery[], allowed: boolean[]): number {
  let missing = 0;
  for (let i = 0; i < out.length; i++) {
    const state = out[i].state;
    if (!allowed[i] || state.phase === Phase.Ready) continue;
    const moved = ctx.moved.ready(state.id);
    if (moved) {
      out[i] = { state: moved, message: out[i].message };
      continue;
    }
    keepForGrace(ctx, { connId: state.id, app: deliveries[i].app, device: deliveries[i].device, message: out[i].message });
    missing++;
  }
  return missing;
}

function bindingOf(state: ConnState, app: string): Binding | undefined {
  for (const b of state.bindings) if (b.app === app) return b;
  return undefined;
}

/** Log messages (paced broadcast/topic pushes) of a deliver() batch: not in any inbox, so no saver.attempt. */
function isLogged(d: RoomDelivery): boolean {
  return typeof d.log === 'string' && typeof d.seq === 'number' && Number.isSafeInteger(d.seq) && d.seq > 0;
}

/** Counts the deliveries of a batch's log messages (one saver call; a failure only loses counts). */
async function countLogged(ctx: RoomContext, logged: RoomDelivery[]): Promise<void> {
  if (logged.length === 0) return;
  const counts = new Map<string, { app: string; id: string; delivered: number }>();
  for (const d of logged) {
    const key = `${d.app}\u0000${d.message.id}`;
    const c = counts.get(key);
    if (c) c.delivered++;
    else counts.set(key, { app: d.app, id: d.message.id, delivered: 1 });
  }
  try {
    await ctx.saver.countLogDelivered([...counts.values()]);
  } catch (err) {
    ctx.metrics.errors.inc();
    ctx.log.warn('countLogDelivered failed', { messages: counts.size, err });
  }
}

/**
 * RoomService.deliver: one saver.attempt for the inbox messages of the batch, then one
 * synchronous write pass. Log messages (with log/seq) skip the attempt and are remembered so
 * the device's ack moves its watermark.
 */
export async function deliverBatch(ctx: RoomContext, batch: RoomDelivery[]): Promise<DeliverResult> {
  if (!Array.isArray(batch)) throw new TypeError('deliver: batch must be an array');
  const started = performance.now();
  const out: Outgoing[] = [];
  const deliveries: Delivery[] = [];
  const logOut: Outgoing[] = [];
  const logged: RoomDelivery[] = [];
  let missing = 0;
  for (const d of batch) {
    const state = d ? connById(ctx, d.connId) : undefined;
    const b = state && state.phase === Phase.Ready ? bindingOf(state, d.app) : undefined;
    if (!state || !b || b.device !== d.device || !d.message || d.message.app !== d.app) {
      // A connection in its grace period (or resuming) keeps it for the resume; still missing here (stays stored).
      if (d && (!state || state.phase === Phase.Authing)) keepForGrace(ctx, d);
      missing++;
      continue;
    }
    if (isLogged(d)) {
      logOut.push({ state, message: d.message });
      logged.push(d);
      continue;
    }
    out.push({ state, message: d.message });
    deliveries.push({ app: d.app, device: d.device, id: d.message.id });
  }
  if (out.length === 0 && logOut.length === 0) return { sent: 0, missing, refused: 0 };
  const allowed = out.length > 0 ? await ctx.batched.attempt(deliveries) : [];
  const refused = allowed.filter((a) => !a).length;
  missing += retarget(ctx, out, deliveries, allowed);
  const live = logged.filter((_d, i) => logOut[i].state.phase === Phase.Ready);
  missing += logged.length - live.length;
  // Remembered before the write, so an ack that comes back at once finds them.
  for (const d of live) ctx.logIds.remember(d.message.id, { app: d.app, log: d.log!, seq: d.seq!, expires: d.message.expires });
  const sent = writePushes(ctx, out.concat(logOut), allowed.concat(logOut.map((o) => o.state.phase === Phase.Ready)));
  ctx.metrics.deliverSeconds.observe((performance.now() - started) / 1000);
  await countLogged(ctx, live);
  return { sent, missing, refused };
}

/** What deliverPending loads: the inbox (through saver.attempt), the logs (broadcast + subscribed topics), or both. */
export interface PendingParts {
  inbox: boolean;
  logs: boolean;
}

const BOTH: PendingParts = { inbox: true, logs: true };

/**
 * Loads the bindings' pending inbox messages and log entries and writes them in one pass (after
 * auth/bind, and for the next page once a full page was acked). Inbox messages go through
 * saver.attempt; log entries do not.
 */
export async function deliverPending(ctx: RoomContext, state: ConnState, bindings: Binding[], parts: PendingParts = BOTH): Promise<void> {
  const limit = ctx.config.pendingLimit;
  const [lists, logs] = await Promise.all([
    parts.inbox ? Promise.all(bindings.map((b) => ctx.saver.pending(b.app, b.device, limit))) : bindings.map((): Message[] => []),
    parts.logs ? loadLogs(ctx, state, bindings) : bindings.map((): LogEntry[] => []),
  ]);
  const out: Outgoing[] = [];
  const deliveries: Delivery[] = [];
  for (let i = 0; i < bindings.length; i++) {
    const full = lists[i].length >= limit || fullLogPage(logs[i], limit);
    // Only assigned when set or present: a property added to every binding costs a properties store each.
    if (full) bindings[i].backlog = new Set([...lists[i].map((m) => m.id), ...logs[i].map((e) => e.message.id)]);
    else if (bindings[i].backlog) bindings[i].backlog = undefined;
    for (const message of lists[i]) {
      out.push({ state, message });
      deliveries.push({ app: bindings[i].app, device: bindings[i].device, id: message.id });
    }
  }
  const entries = logs.flat();
  if (out.length === 0 && entries.length === 0) return;
  // Even when the socket closed during the read: retarget keeps the messages for its resume.
  const allowed = out.length > 0 ? await ctx.batched.attempt(deliveries) : [];
  retarget(ctx, out, deliveries, allowed);
  // Inbox first, then the logs, in the same turn.
  writePushes(ctx, out, allowed);
  writeLogEntries(ctx, state, entries);
}

/** True when some log answered a full page (there may be more behind it). */
function fullLogPage(entries: LogEntry[], limit: number): boolean {
  const perLog = new Map<string, number>();
  for (const e of entries) perLog.set(e.log, (perLog.get(e.log) ?? 0) + 1);
  for (const n of perLog.values()) if (n >= limit) return true;
  return false;
}

/** After an ack: bindings whose full pending page is now all acked, to load the next page for. */
export function drainedBacklogs(state: ConnState, ids: string[]): Binding[] {
  const ready: Binding[] = [];
  for (const b of state.bindings) {
    if (!b.backlog) continue;
    for (const id of ids) b.backlog.delete(id);
    if (b.backlog.size === 0) {
      b.backlog = undefined;
      ready.push(b);
    }
  }
  return ready;
}
