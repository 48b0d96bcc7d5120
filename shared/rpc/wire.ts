import { RpcCode, RpcError } from './rpc';

/**
 * Readers for RPC request objects. proto-loader fills defaults, but a handler still checks
 * what it reads: a peer on another version, or a hand-made call, must get INVALID_ARGUMENT
 * naming the field (`deliveries[3].message.kind: ...`), never a crash or a silent mistake.
 */
export type Wire = Record<string, unknown>;

/** The INVALID_ARGUMENT error for a field: `path: want`. */
export function wireInvalid(path: string, want: string): RpcError {
  return new RpcError(RpcCode.InvalidArgument, `${path}: ${want}`);
}

export function wireRecord(v: unknown, path: string): Wire {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw wireInvalid(path, 'must be a message');
  return v as Wire;
}

export function wireList(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw wireInvalid(path, 'must be a list');
  return v;
}

export function wireString(v: unknown, path: string, required = false): string {
  const s = v ?? '';
  if (typeof s !== 'string') throw wireInvalid(path, 'must be a string');
  if (required && s === '') throw wireInvalid(path, 'must not be empty');
  return s;
}

/** A non-empty string, or undefined for '' (proto3 has no absent string). */
export function wireOptional(v: unknown, path: string): string | undefined {
  const s = wireString(v, path);
  return s === '' ? undefined : s;
}

export function wireUint(v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = v ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) throw wireInvalid(path, `must be an integer from 0 to ${max}`);
  return n;
}

export function wireBool(v: unknown, path: string): boolean {
  const b = v ?? false;
  if (typeof b !== 'boolean') throw wireInvalid(path, 'must be a boolean');
  return b;
}

export function wireBytes(v: unknown, path: string): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (!(v instanceof Uint8Array)) throw wireInvalid(path, 'must be bytes');
  return v;
}

/** Applies read to each element of a repeated field, with its index in error paths. */
export function wireEach<T>(v: unknown, path: string, read: (item: Wire, path: string) => T): T[] {
  const items = wireList(v, path);
  const out = new Array<T>(items.length);
  for (let i = 0; i < items.length; i++) out[i] = read(wireRecord(items[i], `${path}[${i}]`), `${path}[${i}]`);
  return out;
}
