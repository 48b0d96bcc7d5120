import type { StatusEvent, UpstreamRequest } from '../../../shared/contracts/coordinator';
import type { Session } from '../../../shared/contracts/register';
import type { RpcServiceDef } from '../../../shared/rpc/rpc';
import { sessionToWire } from '../../register/rpc/register-wire';
import { wireBool, wireBytes, wireOptional, wireRecord, wireString, wireUint, type Wire } from '../../../shared/rpc/wire';

/** herald.v1.Coordinator in proto/herald/v1/coordinator.proto. */
export const coordinatorRpcService: RpcServiceDef = { name: 'herald.v1.Coordinator', file: 'coordinator.proto' };

/** A pair of sessions for CoordinatorService.replaced. */
export interface ReplacedPair {
  now: Session;
  old: Session;
}

const UINT32 = 0xffff_ffff;

// ---- to the wire (client side) ----

export function upstreamToWire(r: UpstreamRequest): Wire {
  return { app: r.app, device: r.device, user: r.user ?? '', type: r.type, payload: r.payload, roomId: r.roomId, connId: r.connId, seq: r.seq };
}

export function statusToWire(e: StatusEvent): Wire {
  return { app: e.app, device: e.device, user: e.user ?? '', roomId: e.roomId, online: e.online, time: e.time, reason: e.reason };
}

export function pairToWire(p: ReplacedPair): Wire {
  return { now: sessionToWire(p.now), old: sessionToWire(p.old) };
}

// ---- from the wire (server side: checked, errors name the field) ----

export function upstreamFromWire(w: Wire, path: string): UpstreamRequest {
  const r: UpstreamRequest = {
    app: wireString(w.app, `${path}.app`, true),
    device: wireString(w.device, `${path}.device`, true),
    type: wireString(w.type, `${path}.type`, true),
    payload: wireBytes(w.payload, `${path}.payload`),
    roomId: wireString(w.roomId, `${path}.roomId`, true),
    connId: wireString(w.connId, `${path}.connId`, true),
    seq: wireUint(w.seq, `${path}.seq`, UINT32),
  };
  const user = wireOptional(w.user, `${path}.user`);
  if (user !== undefined) r.user = user;
  return r;
}

export function statusFromWire(w: Wire, path: string): StatusEvent {
  const e: StatusEvent = {
    app: wireString(w.app, `${path}.app`, true),
    device: wireString(w.device, `${path}.device`, true),
    roomId: wireString(w.roomId, `${path}.roomId`, true),
    online: wireBool(w.online, `${path}.online`),
    time: wireUint(w.time, `${path}.time`),
    reason: wireString(w.reason, `${path}.reason`),
  };
  const user = wireOptional(w.user, `${path}.user`);
  if (user !== undefined) e.user = user;
  return e;
}

function sessionFromWire(w: Wire, path: string): Session {
  const s: Session = {
    app: wireString(w.app, `${path}.app`, true),
    device: wireString(w.device, `${path}.device`, true),
    roomId: wireString(w.roomId, `${path}.roomId`, true),
    connId: wireString(w.connId, `${path}.connId`, true),
    since: wireUint(w.since, `${path}.since`),
  };
  for (const key of ['user', 'platform', 'network'] as const) {
    const v = wireOptional(w[key], `${path}.${key}`);
    if (v !== undefined) s[key] = v;
  }
  return s;
}

export function pairFromWire(w: Wire, path: string): ReplacedPair {
  return {
    now: sessionFromWire(wireRecord(w.now, `${path}.now`), `${path}.now`),
    old: sessionFromWire(wireRecord(w.old, `${path}.old`), `${path}.old`),
  };
}
