import { randomBytes } from 'node:crypto';

/** A new random epoch: 16 hex digits, naming one generation of a store's data. */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}
