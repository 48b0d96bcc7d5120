import type { PushTarget } from '../../shared/contracts/tasks';
import { HttpError, badRequest } from '../../shared/http/errors';
import type { PushKindName } from '../../shared/protocol/codes';
import { isPaceable, kindOf, parseTarget } from './push-target';

export { MAX_ID_LENGTH, checkId } from './push-target';

/** Limits a push request is checked against (from the center's config). */
export interface PushLimits {
  maxPayloadBytes: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  maxTargets: number;
  /** Latest sendAt, seconds from now. */
  maxScheduleSeconds: number;
}

/** A checked POST /messages body. */
export interface PushRequest {
  /** Devices, users and tags deduplicated in request order; tags with their mode ('or' by default). */
  to: PushTarget;
  kind: PushKindName;
  payload: Uint8Array;
  ttlSeconds: number;
  qos: 0 | 1;
  /** When to send, ms since the Unix epoch; undefined = now. */
  sendAt?: number;
  /** Deliveries per second, cluster-wide (broadcast, topic and tag pushes); 0 = not paced. */
  rate: number;
}

/** Highest rate, deliveries per second. */
export const MAX_RATE = 100_000;
const FIELDS = new Set(['to', 'payload', 'payloadBase64', 'ttl', 'qos', 'sendAt', 'rate']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** ISO-8601 date and time with an explicit zone (Date.parse alone accepts too much). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

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

/** sendAt: ms since the epoch or an ISO-8601 string with a zone; in the future, at most maxScheduleSeconds ahead. */
function parseSendAt(v: unknown, limits: PushLimits, now: number): number | undefined {
  if (v === undefined) return undefined;
  let at: number;
  if (typeof v === 'number' && Number.isSafeInteger(v)) at = v;
  else if (typeof v === 'string' && ISO_TIME.test(v)) at = Date.parse(v);
  else throw badRequest('sendAt must be milliseconds since the Unix epoch or an ISO-8601 time with a zone (e.g. 2030-01-02T03:04:05Z)', 'bad_send_at');
  if (Number.isNaN(at)) throw badRequest(`sendAt ${JSON.stringify(v)} is not a valid time`, 'bad_send_at');
  if (at <= now) throw badRequest('sendAt must be in the future', 'bad_send_at');
  if (at > now + limits.maxScheduleSeconds * 1000) {
    throw badRequest(`sendAt must be at most ${limits.maxScheduleSeconds} seconds from now`, 'bad_send_at');
  }
  return at;
}

function parseRate(v: unknown, to: PushTarget): number {
  if (v === undefined) return 0;
  if (!isPaceable(to)) throw badRequest('rate applies to broadcast, topic and tag pushes only', 'bad_rate');
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_RATE) {
    throw badRequest(`rate must be an integer number of deliveries per second from 1 to ${MAX_RATE}`, 'bad_rate');
  }
  return v;
}

/** Checks a POST /messages body; throws HttpError (400 or 413) naming the bad field. */
export function parsePushRequest(body: unknown, limits: PushLimits, now = Date.now()): PushRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.length) throw badRequest(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  const to = parseTarget(b.to, limits.maxTargets);
  return {
    to,
    kind: kindOf(to),
    payload: parsePayload(b, limits.maxPayloadBytes),
    ttlSeconds: parseTtl(b.ttl, limits),
    qos: parseQos(b.qos),
    sendAt: parseSendAt(b.sendAt, limits, now),
    rate: parseRate(b.rate, to),
  };
}
