import * as protobuf from 'protobufjs/minimal';
import { herald } from './gen/client';

// 64-bit fields (times in ms) decode as plain numbers: they stay below 2^53.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

export type ClientFrame = herald.v1.ClientFrame;
export type ServerFrame = herald.v1.ServerFrame;
export type ClientFrameInit = herald.v1.IClientFrame;
export type ServerFrameInit = herald.v1.IServerFrame;
export const NetworkType = herald.v1.NetworkType;
export type NetworkType = herald.v1.NetworkType;
export const PushKind = herald.v1.PushKind;
export type PushKind = herald.v1.PushKind;

/** Thrown when bytes are not a valid frame of the expected type. */
export class FrameError extends Error {}

/** Body field names of ClientFrame's oneof, e.g. 'auth', 'ping'. */
export type ClientBody = NonNullable<ClientFrame['body']>;
/** Body field names of ServerFrame's oneof, e.g. 'authOk', 'push'. */
export type ServerBody = NonNullable<ServerFrame['body']>;

function toBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** Decodes one client frame; throws FrameError on bad bytes or a frame with no body. */
export function decodeClientFrame(data: ArrayBuffer | Uint8Array): ClientFrame {
  let frame: ClientFrame;
  try {
    frame = herald.v1.ClientFrame.decode(toBytes(data));
  } catch (err) {
    throw new FrameError(`malformed client frame: ${(err as Error).message}`);
  }
  if (!frame.body) throw new FrameError('client frame has no body');
  return frame;
}

/** Decodes one server frame; throws FrameError on bad bytes or a frame with no body. */
export function decodeServerFrame(data: ArrayBuffer | Uint8Array): ServerFrame {
  let frame: ServerFrame;
  try {
    frame = herald.v1.ServerFrame.decode(toBytes(data));
  } catch (err) {
    throw new FrameError(`malformed server frame: ${(err as Error).message}`);
  }
  if (!frame.body) throw new FrameError('server frame has no body');
  return frame;
}

export function encodeClientFrame(frame: ClientFrameInit): Uint8Array {
  return herald.v1.ClientFrame.encode(frame).finish();
}

export function encodeServerFrame(frame: ServerFrameInit): Uint8Array {
  return herald.v1.ServerFrame.encode(frame).finish();
}
