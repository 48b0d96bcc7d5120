import type { LogEntry, Message, MessageState, MessageStatus } from '../../../shared/contracts/saver';
import type { PushKindName } from '../../../shared/protocol/codes';
import type { RpcServiceDef } from '../../../shared/rpc/rpc';

/** The saver's RPC service (proto/herald/v1/saver.proto). */
export const SaverRpc: RpcServiceDef = { name: 'herald.v1.Saver', file: 'saver.proto' };

/**
 * herald.v1.SaverMessage as proto-loader hands it over: uint64 as numbers, bytes as Buffer,
 * an absent optional topic as a missing key (and a `_topic` oneof marker when present).
 * Going out, contract objects are passed to the encoder as they are: protobufjs' fromObject
 * reads only the fields the proto names and skips an undefined topic.
 */
export interface WireMessage {
  id: string;
  app: string;
  kind: string;
  payload: Uint8Array;
  topic?: string;
  created: number;
  expires: number;
  qos: number;
}

/**
 * A wire message back to a contract Message; the saver validates it (kind, qos), so the casts
 * here only name the types. An unset message field (null) stays undefined for the validator.
 */
export function messageFromWire(w: WireMessage | null | undefined): Message {
  if (!w) return undefined as unknown as Message;
  const m: Message = {
    id: w.id,
    app: w.app,
    kind: w.kind as PushKindName,
    payload: w.payload,
    created: w.created,
    expires: w.expires,
    qos: w.qos as 0 | 1,
  };
  if (w.topic !== undefined && w.topic !== null) m.topic = w.topic;
  return m;
}

/** herald.v1.SaverStatus (all fields filled by proto-loader's defaults) to the contract shape. */
export function statusFromWire(w: Record<string, unknown>): MessageStatus {
  return {
    id: w.id as string,
    app: w.app as string,
    kind: w.kind as PushKindName,
    qos: w.qos as 0 | 1,
    created: w.created as number,
    expires: w.expires as number,
    state: w.state as MessageState,
    targets: w.targets as number,
    delivered: w.delivered as number,
    acked: w.acked as number,
    deadLettered: w.deadLettered as number,
  };
}

export function logEntryFromWire(w: { log: string; seq: number; message: WireMessage }): LogEntry {
  return { log: w.log, seq: w.seq, message: messageFromWire(w.message) };
}
