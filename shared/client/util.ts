import { CloseCode, ErrorCode } from '../protocol/codes';
import type { Emitter } from './emitter';
import { ServerError, type ClientEvents } from './types';

// ws fires 'error' after an aborted handshake even when we no longer listen: never throw then.
export const ignoreError = (): void => undefined;

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function toBytes(data: unknown): ArrayBuffer | Uint8Array {
  if (data instanceof ArrayBuffer) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ServerError(ErrorCode.BadFrame, 'got a text frame; the protocol is binary');
}

/** 'closed with code 4501 (Kicked)' style text for a close without a reason. */
export function describeClose(code: number): string {
  const name = Object.entries(CloseCode).find(([, v]) => v === code)?.[0];
  return name ? `closed with code ${code} (${name})` : `closed with code ${code}`;
}

/** Routes what a listener threw to 'error' listeners (or the console when there are none). */
export function reportListenerError(emitter: Emitter<ClientEvents>, err: unknown, event: keyof ClientEvents): void {
  if (event !== 'error' && emitter.count('error') > 0) {
    const e = err instanceof Error ? err : new Error(message(err));
    emitter.emit('error', new Error(`a '${event}' listener threw: ${e.message}`, { cause: e }));
    return;
  }
  // An 'error' listener threw, or nobody listens: never let it break the socket handler.
  console.error(`herald client: a '${String(event)}' listener threw`, err);
}
