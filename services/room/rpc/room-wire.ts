import type { DrainOptions, RoomDelivery, RoomKick, RoomReply } from '../../../shared/contracts/room';
import type { Message } from '../../../shared/contracts/saver';
import { PushKinds, type PushKindName } from '../../../shared/protocol/codes';
import type { RpcServiceDef } from '../../../shared/rpc/rpc';
import { wireBytes, wireEach, wireInvalid, wireOptional, wireString, wireUint, type Wire } from '../../../shared/rpc/wire';

/** herald.v1.Room in proto/herald/v1/room.proto. */
export const roomRpcService: RpcServiceDef = { name: 'herald.v1.Room', file: 'room.proto' };

const UINT32 = 0xffff_ffff;

// ---- to the wire (client side: the contract's types are trusted) ----

export function messageToWire(m: Message): Wire {
  return { id: m.id, app: m.app, kind: m.kind, payload: m.payload, topic: m.topic ?? '', created: m.created, expires: m.expires, qos: m.qos };
}

/**
 * A deliver batch as sent: each distinct message object once (a multicast hands the same
 * message to many connections), deliveries pointing at it by index.
 */
export function deliverToWire(batch: RoomDelivery[]): Wire {
  const index = new Map<Message, number>();
  const messages: Wire[] = [];
  const deliveries = new Array<Wire>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i];
    let at = index.get(d.message);
    if (at === undefined) {
      at = messages.push(messageToWire(d.message)) - 1;
      index.set(d.message, at);
    }
    const logged = d.seq !== undefined && d.seq > 0;
    deliveries[i] = { connId: d.connId, app: d.app, device: d.device, message: at, log: logged ? (d.log ?? '') : '', seq: logged ? d.seq : 0 };
  }
  return { deliveries, messages };
}

export function replyToWire(r: RoomReply): Wire {
  return { connId: r.connId, seq: r.seq, code: r.code, message: r.message, payload: r.payload ?? new Uint8Array(0) };
}

export function kickToWire(k: RoomKick): Wire {
  return { connId: k.connId, code: k.code, reason: k.reason };
}

/** Only the options given travel (proto3 optional): the room fills the rest from its config. */
export function drainToWire(opts: DrainOptions = {}): Wire {
  const out: Wire = {};
  if (opts.batchSize !== undefined) out.batchSize = opts.batchSize;
  if (opts.intervalMs !== undefined) out.intervalMs = opts.intervalMs;
  if (opts.deadlineMs !== undefined) out.deadlineMs = opts.deadlineMs;
  return out;
}

// ---- from the wire (server side: checked, errors name the field) ----

function kindFromWire(v: unknown, path: string): PushKindName {
  const kind = wireString(v, path);
  if (!(PushKinds as readonly string[]).includes(kind)) throw wireInvalid(path, `must be one of ${PushKinds.join(', ')}`);
  return kind as PushKindName;
}

export function messageFromWire(w: Wire, path: string): Message {
  const qos = wireUint(w.qos, `${path}.qos`, 1) as 0 | 1;
  const topic = wireOptional(w.topic, `${path}.topic`);
  const m: Message = {
    id: wireString(w.id, `${path}.id`, true),
    app: wireString(w.app, `${path}.app`, true),
    kind: kindFromWire(w.kind, `${path}.kind`),
    payload: wireBytes(w.payload, `${path}.payload`),
    created: wireUint(w.created, `${path}.created`),
    expires: wireUint(w.expires, `${path}.expires`),
    qos,
  };
  if (topic !== undefined) m.topic = topic;
  return m;
}

/** A deliver request as received: messages decoded once and shared by their deliveries. */
export function deliverFromWire(req: Wire): RoomDelivery[] {
  const messages = wireEach(req.messages, 'messages', messageFromWire);
  return wireEach(req.deliveries, 'deliveries', (w, path) => {
    const at = wireUint(w.message, `${path}.message`, UINT32);
    if (at >= messages.length) throw wireInvalid(`${path}.message`, `must index messages (${messages.length} given)`);
    const d: RoomDelivery = {
      connId: wireString(w.connId, `${path}.connId`, true),
      app: wireString(w.app, `${path}.app`, true),
      device: wireString(w.device, `${path}.device`, true),
      message: messages[at],
    };
    const seq = wireUint(w.seq, `${path}.seq`);
    if (seq > 0) {
      d.log = wireString(w.log, `${path}.log`);
      d.seq = seq;
    }
    return d;
  });
}

export function replyFromWire(w: Wire, path: string): RoomReply {
  const r: RoomReply = {
    connId: wireString(w.connId, `${path}.connId`, true),
    seq: wireUint(w.seq, `${path}.seq`, UINT32),
    code: wireUint(w.code, `${path}.code`, UINT32),
    message: wireString(w.message, `${path}.message`),
  };
  const payload = wireBytes(w.payload, `${path}.payload`);
  if (payload.length > 0) r.payload = payload;
  return r;
}

export function kickFromWire(w: Wire, path: string): RoomKick {
  return {
    connId: wireString(w.connId, `${path}.connId`, true),
    code: wireUint(w.code, `${path}.code`, UINT32),
    reason: wireString(w.reason, `${path}.reason`),
  };
}

export function drainFromWire(w: Wire): DrainOptions {
  const opts: DrainOptions = {};
  if (w.batchSize !== undefined && w.batchSize !== null) opts.batchSize = wireUint(w.batchSize, 'batchSize', UINT32);
  if (w.intervalMs !== undefined && w.intervalMs !== null) opts.intervalMs = wireUint(w.intervalMs, 'intervalMs', UINT32);
  if (w.deadlineMs !== undefined && w.deadlineMs !== null) opts.deadlineMs = wireUint(w.deadlineMs, 'deadlineMs', UINT32);
  return opts;
}
