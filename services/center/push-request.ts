import { HttpError, badRequest } from '../../shared/http/errors';

/** Limits a push request is checked against (from the center's config). */
export interface PushLimits {
  maxPayloadBytes: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  maxTargets: number;
}

/** A checked POST /messages body. */
export interface PushRequest {
  kind: 'unicast' | 'user';
  /** Device ids (kind unicast) or user ids (kind user), deduplicated, in request order. */
  ids: string[];
  payload: Uint8Array;
  ttlSeconds: number;
  qos: 0 | 1;
}

/** Longest device or user id. */
export const MAX_ID_LENGTH = 128;
const FIELDS = new Set(['to', 'payload', 'payloadBase64', 'ttl', 'qos']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const notImplemented = (what: string): HttpError =>
  new HttpError(501, 'not_implemented', `${what} pushes are not implemented yet: broadcast, topic and tag pushes come with the queue`);

/** Checks one id (device or user): a non-empty string of at most MAX_ID_LENGTH characters. */
export function checkId(v: unknown, what: string, code = 'bad_target'): string {
  if (typeof v !== 'string' || v === '') throw badRequest(`${what} must be a non-empty string`, code);
  if (v.length > MAX_ID_LENGTH) throw badRequest(`${what} is longer than ${MAX_ID_LENGTH} characters`, code);
  return v;
}

function parseTargets(to: unknown, maxTargets: number): Pick<PushRequest, 'kind' | 'ids'> {
  if (to === undefined) throw badRequest('missing "to": give {devices: [...]} or {users: [...]}', 'bad_target');
  if (typeof to !== 'object' || to === null || Array.isArray(to)) throw badRequest('"to" must be an object', 'bad_target');
  const t = to as Record<string, unknown>;
  if ('all' in t) throw notImplemented('broadcast');
  if ('topic' in t) throw notImplemented('topic');
  if ('tags' in t) throw notImplemented('tag');
  const keys = Object.keys(t);
  if (keys.length !== 1 || (keys[0] !== 'devices' && keys[0] !== 'users')) {
    throw badRequest('"to" must have exactly one of "devices" or "users"', 'bad_target');
  }
  const field = keys[0];
  const list = t[field];
  if (!Array.isArray(list)) throw badRequest(`to.${field} must be a list of ids`, 'bad_target');
  if (list.length === 0) throw badRequest(`to.${field} is empty`, 'bad_target');
  if (list.length > maxTargets) throw badRequest(`to.${field} has ${list.length} ids, more than ${maxTargets}`, 'too_many_targets');
  const ids = new Set<string>();
  for (let i = 0; i < list.length; i++) ids.add(checkId(list[i], `to.${field}[${i}]`));
  return { kind: field === 'devices' ? 'unicast' : 'user', ids: [...ids] };
}

function parsePayload(b: Record<string, unknown>, max: number): Uint8Array {
  const hasJson = 'payload' in b;
  const hasB64 = 'payloadBase64' in b;
  if (hasJson === hasB64) throw badRequest('give exactly one of "payload" (JSON) or "payloadBase64"', 'bad_payload');
  let bytes: Buffer;
  if (hasJson) {
    bytes = Buffer.from(JSON.stringify(b.payload), 'utf8');
  } else {
    const s = b.payloadBase64;
    if (typeof s !== 'string' || !BASE64.test(s)) throw badRequest('payloadBase64 must be a padded standard base64 string', 'bad_payload');
    bytes = Buffer.from(s, 'base64');
  }
  if (bytes.length > max) throw new HttpError(413, 'payload_too_large', `payload is ${bytes.length} bytes, more than ${max}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function parseTtl(v: unknown, limits: PushLimits): number {
  if (v === undefined) return limits.defaultTtlSeconds;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > limits.maxTtlSeconds) {
    throw badRequest(`ttl must be an integer number of seconds from 0 to ${limits.maxTtlSeconds}`, 'bad_ttl');
  }
  return v;
}

function parseQos(v: unknown): 0 | 1 {
  if (v === undefined) return 1;
  if (v !== 0 && v !== 1) throw badRequest('qos must be 0 or 1', 'bad_qos');
  return v;
}

/** Checks a POST /messages body; throws HttpError (400, 413 or 501) naming the bad field. */
export function parsePushRequest(body: unknown, limits: PushLimits): PushRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.includes('sendAt') || unknown.includes('rate')) {
    throw new HttpError(501, 'not_implemented', 'sendAt and rate are not implemented yet: they come with the queue');
  }
  if (unknown.length) throw badRequest(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  const targets = parseTargets(b.to, limits.maxTargets);
  return {
    ...targets,
    payload: parsePayload(b, limits.maxPayloadBytes),
    ttlSeconds: parseTtl(b.ttl, limits),
    qos: parseQos(b.qos),
  };
}
