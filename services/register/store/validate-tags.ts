import { InvalidSessionError, checkId } from './validate';

/** Most tags one device may carry, and most tags one devicesByTags query may name. */
export const MAX_TAGS_PER_DEVICE = 64;
/** Most topics one device may be subscribed to at once. */
export const MAX_SUBSCRIPTIONS_PER_DEVICE = 256;
/** Longest accepted tag or topic (characters). */
export const MAX_TAG_LENGTH = 128;
/** Largest page devicesByTags and subscribers answer. */
export const MAX_PAGE_COUNT = 10_000;

/** Throws unless app and device are valid ids. */
export function checkDevice(op: string, app: unknown, device: unknown): void {
  checkId(op, 'app', app);
  checkId(op, 'device', device);
}

/**
 * Throws unless names is an array of 1..128-character strings, at most max of them once
 * duplicates are removed; answers the distinct names, sorted.
 */
export function checkNames(op: string, what: 'tags' | 'topics', names: unknown, max: number): string[] {
  if (!Array.isArray(names)) throw new InvalidSessionError(`${op}: ${what} must be an array of strings`);
  for (let i = 0; i < names.length; i++) checkName(op, `${what}[${i}]`, names[i]);
  const unique = [...new Set(names as string[])].sort();
  if (unique.length > max) throw new InvalidSessionError(`${op}: at most ${max} distinct ${what}, got ${unique.length}`);
  return unique;
}

/** Throws unless name is a tag or topic of 1..128 characters. */
export function checkName(op: string, where: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '' || name.length > MAX_TAG_LENGTH) {
    throw new InvalidSessionError(`${op}: ${where} must be a non-empty string of at most ${MAX_TAG_LENGTH} characters`);
  }
}

/** Throws unless mode is 'or' or 'and'. */
export function checkMode(mode: unknown): asserts mode is 'or' | 'and' {
  if (mode !== 'or' && mode !== 'and') throw new InvalidSessionError(`devicesByTags: mode must be "or" or "and", got ${JSON.stringify(mode)}`);
}

/** Throws unless count is an integer in 1..MAX_PAGE_COUNT. */
export function checkCount(op: string, count: unknown): asserts count is number {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_PAGE_COUNT) {
    throw new InvalidSessionError(`${op}: count must be an integer from 1 to ${MAX_PAGE_COUNT}`);
  }
}

/**
 * Splits an opaque cursor made by the same backend into its decimal parts (as strings: a Redis
 * SSCAN cursor can exceed 2^53). '' is the start and answers undefined; anything else that is
 * not `parts` dot-separated decimals is rejected.
 */
export function parseCursor(op: string, cursor: unknown, parts: number): string[] | undefined {
  if (cursor === '') return undefined;
  if (typeof cursor !== 'string' || cursor.length > 100) throw new InvalidSessionError(`${op}: cursor must be a string from an earlier page`);
  const out = cursor.split('.');
  if (out.length !== parts || !out.every((x) => /^\d{1,20}$/.test(x))) {
    throw new InvalidSessionError(`${op}: cursor ${JSON.stringify(cursor)} is not one this store made`);
  }
  return out;
}
