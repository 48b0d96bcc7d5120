import { randomFillSync } from 'node:crypto';

const poolSize = 4096;
const pool = Buffer.allocUnsafe(poolSize);
let offset = poolSize;

/**
 * n bytes from the system CSPRNG, taken from a pool refilled 4 KiB at a time: one getrandom
 * call per few hundred ids on the hot paths (message ids, session ids) instead of one each.
 * Each caller turns its bytes into a string at once, and no bytes are handed out twice.
 */
function take(n: number): Buffer {
  if (n > poolSize) throw new RangeError(`random pool: at most ${poolSize} bytes at a time (asked ${n})`);
  if (offset + n > poolSize) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

/** n random bytes as 2n hex digits. */
export const randomHex = (n: number): string => take(n).toString('hex');

/** n random bytes in base64url (no padding). */
export const randomBase64url = (n: number): string => take(n).toString('base64url');
