import { randomHex } from '../../shared/random/random-pool';

/**
 * A new message id: 12 hex digits of milliseconds since the Unix epoch, then 20 random hex
 * digits (80 bits). Ids sort by creation time as plain strings; 32 characters.
 */
export function newMessageId(nowMs = Date.now()): string {
  return nowMs.toString(16).padStart(12, '0') + randomHex(10);
}

/** Milliseconds since the Unix epoch encoded in an id from newMessageId, or undefined. */
export function messageIdTime(id: string): number | undefined {
  if (!/^[0-9a-f]{32}$/.test(id)) return undefined;
  return parseInt(id.slice(0, 12), 16);
}
