import type { DeviceKey } from '../../shared/contracts/register';
import type { Delivery, LogAck, Message } from '../../shared/contracts/saver';
import { PushKinds } from '../../shared/protocol/codes';

/** Limits that match the MySQL columns; bad input gets an Error naming the field. */
export const Limits = { app: 64, id: 64, device: 128, topic: 255 } as const;

export class SaverInputError extends Error {}

function checkName(what: string, v: unknown, max: number): void {
  if (typeof v !== 'string' || v === '' || v.length > max) {
    throw new SaverInputError(`saver: ${what} must be a string of 1 to ${max} characters`);
  }
}

function checkTime(what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new SaverInputError(`saver: ${what} must be milliseconds since the epoch (a non-negative integer)`);
  }
}

export function checkMessage(m: Message): void {
  if (!m || typeof m !== 'object') throw new SaverInputError('saver: message must be an object');
  checkName('message.app', m.app, Limits.app);
  checkName('message.id', m.id, Limits.id);
  if (!(PushKinds as readonly unknown[]).includes(m.kind)) throw new SaverInputError(`saver: message.kind must be one of ${PushKinds.join(', ')}`);
  if (!(m.payload instanceof Uint8Array)) throw new SaverInputError('saver: message.payload must be a Uint8Array');
  if (m.topic !== undefined) checkName('message.topic', m.topic, Limits.topic);
  checkTime('message.created', m.created);
  checkTime('message.expires', m.expires);
  if (m.qos !== 0 && m.qos !== 1) throw new SaverInputError('saver: message.qos must be 0 or 1');
}

export function checkTargets(app: string, targets: DeviceKey[]): void {
  if (!Array.isArray(targets)) throw new SaverInputError('saver: targets must be an array');
  for (const t of targets) {
    if (!t || t.app !== app) throw new SaverInputError(`saver: every target must belong to app ${app}`);
    checkName('target.device', t.device, Limits.device);
  }
}

export function checkDeliveries(what: string, list: Delivery[]): void {
  if (!Array.isArray(list)) throw new SaverInputError(`saver: ${what} must be an array`);
  for (const d of list) {
    if (!d || typeof d !== 'object') throw new SaverInputError(`saver: each of ${what} must be {app, device, id}`);
    checkName(`${what}.app`, d.app, Limits.app);
    checkName(`${what}.device`, d.device, Limits.device);
    checkName(`${what}.id`, d.id, Limits.id);
  }
}

export function checkDevice(app: string, device: string, limit: number | undefined): void {
  checkName('app', app, Limits.app);
  checkName('device', device, Limits.device);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new SaverInputError('saver: limit must be a positive integer');
}

export function checkApp(app: string, limit: number): void {
  checkName('app', app, Limits.app);
  if (!Number.isInteger(limit) || limit < 1) throw new SaverInputError('saver: limit must be a positive integer');
}

export function checkAppId(app: string, id: string): void {
  checkName('app', app, Limits.app);
  checkName('id', id, Limits.id);
}

/** A broadcast (no topic) or topic message for a log: qos 1 with an expiry. */
export function checkLogMessage(m: Message): void {
  checkMessage(m);
  if (m.kind !== 'broadcast' && m.kind !== 'topic') throw new SaverInputError("saver: a log message's kind must be 'broadcast' or 'topic'");
  if ((m.kind === 'topic') !== (m.topic !== undefined)) throw new SaverInputError('saver: a topic message needs message.topic, a broadcast must have none');
  if (m.qos !== 1 || m.expires === 0) throw new SaverInputError('saver: only qos 1 messages with expires > 0 are logged');
}

/** '' (broadcasts) or a topic name. */
function checkLogName(what: string, v: unknown): void {
  if (v !== '') checkName(what, v, Limits.topic);
}

export function checkLogSince(app: string, device: string, logs: string[], limit: number | undefined): void {
  checkDevice(app, device, limit);
  if (!Array.isArray(logs)) throw new SaverInputError('saver: logs must be an array');
  for (const l of logs) checkLogName('logs[]', l);
}

export function checkLogAcks(acks: LogAck[]): void {
  if (!Array.isArray(acks)) throw new SaverInputError('saver: acks must be an array');
  for (const a of acks) {
    if (!a || typeof a !== 'object') throw new SaverInputError('saver: each ack must be {app, device, log, seq, id}');
    checkName('ack.app', a.app, Limits.app);
    checkName('ack.device', a.device, Limits.device);
    checkLogName('ack.log', a.log);
    checkName('ack.id', a.id, Limits.id);
    if (!Number.isSafeInteger(a.seq) || a.seq < 1) throw new SaverInputError('saver: ack.seq must be a positive integer');
  }
}

export function checkLogCounts(counts: { app: string; id: string; delivered: number }[]): void {
  if (!Array.isArray(counts)) throw new SaverInputError('saver: counts must be an array');
  for (const c of counts) {
    if (!c || typeof c !== 'object') throw new SaverInputError('saver: each count must be {app, id, delivered}');
    checkAppId(c.app, c.id);
    if (!Number.isSafeInteger(c.delivered) || c.delivered < 0) throw new SaverInputError('saver: delivered must be a non-negative integer');
  }
}

export function checkSendAt(sendAt: number): void {
  checkTime('sendAt', sendAt);
}
