import type { Message } from '../../../shared/contracts/saver';

/** Key names of the Redis saver store; app and device are URI-encoded so ':' stays a separator. */
export interface SaverKeys {
  epoch: string;
  reload: string;
  inbox(app: string, device: string): string;
  /** Prefix of an app's message hashes; the message key is prefix + id. */
  msgPrefix(app: string): string;
  msg(app: string, id: string): string;
  /** Hash of one log: s = last seq (never expires), e = latest expiry of any entry. */
  logHead(app: string, log: string): string;
  /** Sorted set of one log: member = message id, score = seq. */
  log(app: string, log: string): string;
  /** Prefix of every log key; the tail is logTail(app, log). */
  logPrefix: string;
  logTail(app: string, log: string): string;
  /** Sorted set over all logs: member = logTail + '\n' + id, score = expires (for cleanup). */
  logExpiry: string;
  /** Hash of a device's watermarks: field = log, value = seq. */
  watermarks(app: string, device: string): string;
}

export function saverKeys(prefix: string): SaverKeys {
  const base = `${prefix}saver:`;
  return {
    epoch: `${base}epoch`,
    reload: `${base}reload`,
    inbox: (app, device) => `${base}inbox:${encodeURIComponent(app)}:${encodeURIComponent(device)}`,
    msgPrefix: (app) => `${base}msg:${encodeURIComponent(app)}:`,
    msg: (app, id) => `${base}msg:${encodeURIComponent(app)}:${id}`,
    logHead: (app, log) => `${base}loghead:${encodeURIComponent(app)}:${encodeURIComponent(log)}`,
    log: (app, log) => `${base}log:${encodeURIComponent(app)}:${encodeURIComponent(log)}`,
    logPrefix: `${base}log:`,
    logTail: (app, log) => `${encodeURIComponent(app)}:${encodeURIComponent(log)}`,
    logExpiry: `${base}logexpiry`,
    watermarks: (app, device) => `${base}wm:${encodeURIComponent(app)}:${encodeURIComponent(device)}`,
  };
}

/** What the message hash's `m` field holds. */
interface Meta {
  kind: Message['kind'];
  topic?: string;
  created: number;
  expires: number;
  qos: 0 | 1;
}

export function encodeMeta(m: Message): string {
  const meta: Meta = { kind: m.kind, created: m.created, expires: m.expires, qos: m.qos };
  if (m.topic !== undefined) meta.topic = m.topic;
  return JSON.stringify(meta);
}

export function decodeMessage(app: string, id: string, meta: string, payload: Uint8Array): Message {
  const x = JSON.parse(meta) as Meta;
  const m: Message = { id, app, kind: x.kind, payload, created: x.created, expires: x.expires, qos: x.qos };
  if (x.topic !== undefined) m.topic = x.topic;
  return m;
}

/** A Redis URL checked up front, with the password hidden for messages. */
export function checkRedisUrl(url: string, option: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${option}: not a URL: ${JSON.stringify(url)} (expected redis://host:port)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`${option}: protocol must be redis:// or rediss:// (got ${u.protocol}//)`);
  if (!u.hostname) throw new Error(`${option}: the URL has no host`);
  if (u.password) u.password = '***';
  return u.toString();
}
