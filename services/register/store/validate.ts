import type { Session, SessionRef } from '../../../shared/contracts/register';

/** Longest accepted app id, device id, user, room id or connection id (characters). */
export const MAX_ID_LENGTH = 256;

/** Bad input to a session store call: the message names the offending item and field. */
export class InvalidSessionError extends Error {
  readonly code = 'invalid_session' as const;
}

function checkId(op: string, where: string, value: unknown): void {
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH) {
    throw new InvalidSessionError(`${op}: ${where} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
}

function checkOptional(op: string, where: string, value: unknown): void {
  if (value !== undefined && value !== null && (typeof value !== 'string' || value.length > MAX_ID_LENGTH)) {
    throw new InvalidSessionError(`${op}: ${where} must be a string of at most ${MAX_ID_LENGTH} characters when given`);
  }
}

function checkList(op: string, what: string, items: unknown): asserts items is unknown[] {
  if (!Array.isArray(items)) throw new InvalidSessionError(`${op}: ${what} must be an array`);
}

/** Throws InvalidSessionError unless every session is well formed. */
export function checkSessions(sessions: unknown): asserts sessions is Session[] {
  checkList('register', 'sessions', sessions);
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i] as Partial<Session> | null;
    const at = `sessions[${i}]`;
    if (typeof s !== 'object' || s === null) throw new InvalidSessionError(`register: ${at} must be an object`);
    checkId('register', `${at}.app`, s.app);
    checkId('register', `${at}.device`, s.device);
    checkId('register', `${at}.roomId`, s.roomId);
    checkId('register', `${at}.connId`, s.connId);
    if (typeof s.since !== 'number' || !Number.isFinite(s.since) || s.since < 0) {
      throw new InvalidSessionError(`register: ${at}.since must be a non-negative number of milliseconds`);
    }
    checkOptional('register', `${at}.user`, s.user);
    checkOptional('register', `${at}.platform`, s.platform);
    checkOptional('register', `${at}.network`, s.network);
  }
}

/** Throws InvalidSessionError unless every ref is well formed. */
export function checkRefs(op: string, refs: unknown): asserts refs is SessionRef[] {
  checkList(op, 'refs', refs);
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i] as Partial<SessionRef> | null;
    if (typeof r !== 'object' || r === null) throw new InvalidSessionError(`${op}: refs[${i}] must be an object`);
    checkId(op, `refs[${i}].app`, r.app);
    checkId(op, `refs[${i}].device`, r.device);
    checkId(op, `refs[${i}].connId`, r.connId);
  }
}

/** Throws InvalidSessionError unless ids is an array of valid ids. */
export function checkIds(op: string, what: string, ids: unknown): asserts ids is string[] {
  checkList(op, what, ids);
  for (let i = 0; i < ids.length; i++) checkId(op, `${what}[${i}]`, ids[i]);
}

export { checkId };

export const DEFAULT_SESSION_TTL_SECONDS = 180;
export const DEFAULT_USER_TTL_SECONDS = 30 * 24 * 3600;

/** A TTL option in seconds (fractions allowed, for tests) as whole milliseconds; throws on a bad value. */
export function ttlMs(value: number | undefined, def: number, name: string): number {
  const v = value ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number of seconds`);
  return Math.max(1, Math.round(v * 1000));
}
