import type { Delivery, Message } from '../../shared/contracts/saver';
import type { DeliverResult, RoomDelivery } from '../../shared/contracts/room';
import { encodeServerFrame, PushKind } from '../../shared/protocol/codec';
import type { PushKindName } from '../../shared/protocol/codes';
import { checkBackpressure, Phase, writeFrame, type Binding, type ConnState, type RoomContext } from './context';

const kindOf: Record<PushKindName, PushKind> = {
  unicast: PushKind.PUSH_UNICAST,
  user: PushKind.PUSH_USER,
  tag: PushKind.PUSH_TAG,
  topic: PushKind.PUSH_TOPIC,
  broadcast: PushKind.PUSH_BROADCAST,
};

/** One push for one connection. */
export interface Outgoing {
  state: ConnState;
  message: Message;
}

function encodePush(m: Message): Uint8Array {
  return encodeServerFrame({
    push: {
      id: m.id,
      app: m.app,
      payload: m.payload,
      kind: kindOf[m.kind] ?? PushKind.PUSH_UNICAST,
      topic: m.topic ?? '',
      created: m.created,
      expires: m.expires,
      qos: m.qos,
    },
  });
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
      for (const i of indexes) writeFrame(ctx, state, frameOf(out[i].message), 'push');
    });
    sent += indexes.length;
    checkBackpressure(ctx, state);
  }
  ctx.metrics.pushesSent.inc(sent);
  return sent;
}

function bindingOf(state: ConnState, app: string): Binding | undefined {
  for (const b of state.bindings) if (b.app === app) return b;
  return undefined;
}

/** RoomService.deliver: one saver.attempt for the batch, then one synchronous write pass. */
export async function deliverBatch(ctx: RoomContext, batch: RoomDelivery[]): Promise<DeliverResult> {
  if (!Array.isArray(batch)) throw new TypeError('deliver: batch must be an array');
  const started = performance.now();
  const out: Outgoing[] = [];
  const deliveries: Delivery[] = [];
  let missing = 0;
  for (const d of batch) {
    const state = d ? ctx.conns.get(d.connId) : undefined;
    const b = state && state.phase === Phase.Ready ? bindingOf(state, d.app) : undefined;
    if (!state || !b || b.device !== d.device || !d.message || d.message.app !== d.app) {
      missing++;
      continue;
    }
    out.push({ state, message: d.message });
    deliveries.push({ app: d.app, device: d.device, id: d.message.id });
  }
  if (out.length === 0) return { sent: 0, missing, refused: 0 };
  const allowed = await ctx.saver.attempt(deliveries);
  let refused = 0;
  for (let i = 0; i < out.length; i++) {
    if (!allowed[i]) refused++;
    else if (out[i].state.phase !== Phase.Ready) missing++;
  }
  const sent = writePushes(ctx, out, allowed);
  ctx.metrics.deliverSeconds.observe((performance.now() - started) / 1000);
  return { sent, missing, refused };
}

/** Loads the bindings' pending messages and delivers them through saver.attempt (after auth/bind). */
export async function deliverPending(ctx: RoomContext, state: ConnState, bindings: Binding[]): Promise<void> {
  const limit = ctx.config.pendingLimit;
  const lists = await Promise.all(bindings.map((b) => ctx.saver.pending(b.app, b.device, limit)));
  const out: Outgoing[] = [];
  const deliveries: Delivery[] = [];
  for (let i = 0; i < bindings.length; i++) {
    bindings[i].backlog = lists[i].length >= limit ? new Set(lists[i].map((m) => m.id)) : undefined;
    for (const message of lists[i]) {
      out.push({ state, message });
      deliveries.push({ app: bindings[i].app, device: bindings[i].device, id: message.id });
    }
  }
  if (out.length === 0 || state.phase !== Phase.Ready) return;
  const allowed = await ctx.saver.attempt(deliveries);
  writePushes(ctx, out, allowed);
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
