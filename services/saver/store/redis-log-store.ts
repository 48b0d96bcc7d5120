import type { LogAck, LogEntry, Message } from '../../../shared/contracts/saver';
import type { Logger } from '../../../shared/log/log';
import type { DurableInbox } from './durable-inbox';
import type { WatermarkWrite } from './durable-logs';
import { decodeMessage, encodeMeta, type SaverKeys } from './redis-saver-keys';
import { chunks } from './saver-sql';
import { keepUntil, logOf } from './saver-store';

type Arg = string | number | Buffer;
/** A defined script: (number of keys, ...keys and args). */
export type ScriptFn = (numKeys: number, ...args: Arg[]) => Promise<unknown>;

/** What the log half shares with the Redis saver store. */
export interface RedisLogContext {
  keys: SaverKeys;
  durable: DurableInbox;
  log: Logger;
  statusRetentionMs: number;
  /** The scripts by name (and name + 'Buffer' for binary replies). */
  lua: Record<string, ScriptFn>;
  /** The current epoch, for the scripts' epoch check. */
  epoch(): string;
  /** Runs a script call, recovering from Redis data loss. */
  run<T>(what: string, call: () => Promise<T>): Promise<T>;
}

const perScript = 500;
const blob = (p: Uint8Array): Buffer => Buffer.from(p.buffer, p.byteOffset, p.byteLength);

/** The broadcast/topic logs, watermarks and scheduled states of the Redis saver store. */
export function createRedisLogs(ctx: RedisLogContext) {
  const { keys, durable, lua, run } = ctx;

  async function appendLog(message: Message): Promise<number> {
    const name = logOf(message);
    const keep = keepUntil(message, ctx.statusRetentionMs);
    const ks = [keys.epoch, keys.logHead(message.app, name), keys.log(message.app, name), keys.msg(message.app, message.id), keys.logExpiry];
    const member = `${keys.logTail(message.app, name)}\n${message.id}`;
    const args = [message.id, message.expires, keep, encodeMeta(message), blob(message.payload), name, member];
    const [seq] = (await run('appendLog', () => lua.appendLog(ks.length, ...ks, ctx.epoch(), ...args))) as number[];
    // Redis hands out the seq; the entry is durable once MySQL has it (and its status).
    await durable.appendLog({ log: name, seq, message }, keep);
    return seq;
  }

  async function logSince(app: string, device: string, logs: string[], limit: number): Promise<LogEntry[]> {
    const names = [...new Set(logs)];
    const ks = [keys.epoch, keys.watermarks(app, device), ...names.map((n) => keys.log(app, n))];
    const flat = (await run('logSince', () => lua.logSinceBuffer(ks.length, ...ks, ctx.epoch(), keys.msgPrefix(app), Date.now(), limit, ...names))) as Buffer[];
    const out: LogEntry[] = [];
    for (let i = 0; i + 4 < flat.length; i += 5) {
      const log = names[Number(flat[i].toString()) - 1];
      out.push({ log, seq: Number(flat[i + 1].toString()), message: decodeMessage(app, flat[i + 2].toString(), flat[i + 3].toString(), flat[i + 4]) });
    }
    return out;
  }

  async function ackPart(part: LogAck[], writes: WatermarkWrite[]): Promise<void> {
    const ks: string[] = [];
    const args: Arg[] = [];
    for (const a of part) {
      ks.push(keys.watermarks(a.app, a.device), keys.log(a.app, a.log), keys.logHead(a.app, a.log), keys.msg(a.app, a.id));
      args.push(a.log, a.seq, a.id);
    }
    const res = (await run('ackLog', () => lua.ackLog(1 + ks.length, keys.epoch, ...ks, ctx.epoch(), ...args))) as number[];
    part.forEach((a, i) => {
      const code = res[2 * i];
      if (code !== 0) writes.push({ app: a.app, device: a.device, log: a.log, seq: a.seq, id: a.id, keepUntil: res[2 * i + 1], counted: code === 1 });
    });
  }

  async function ackLog(acks: LogAck[]): Promise<void> {
    const writes: WatermarkWrite[] = [];
    // In order: two acks of one device and log in one call must see each other's watermark.
    for (const part of chunks(acks, perScript)) await ackPart(part, writes);
    if (writes.length > 0) await durable.watermarks(writes);
  }

  async function countLogDelivered(counts: { app: string; id: string; delivered: number }[]): Promise<void> {
    const known: typeof counts = [];
    for (const part of chunks(counts, perScript)) {
      const ks = part.map((c) => keys.msg(c.app, c.id));
      const res = (await run('countLogDelivered', () => lua.countLog(1 + ks.length, keys.epoch, ...ks, ctx.epoch(), ...part.map((c) => c.delivered)))) as number[];
      part.forEach((c, i) => res[i] === 1 && known.push(c));
    }
    if (known.length > 0) await durable.countDelivered(known);
  }

  async function markScheduled(message: Message, sendAt: number): Promise<void> {
    const keep = keepUntil(message, ctx.statusRetentionMs, sendAt);
    const msgKey = keys.msg(message.app, message.id);
    const recorded = (await run('markScheduled', () =>
      lua.schedule(2, keys.epoch, msgKey, ctx.epoch(), encodeMeta(message), message.qos, message.expires, keep),
    )) as number;
    if (recorded === 1) await durable.schedule(message, keep);
  }

  async function markCancelled(app: string, id: string): Promise<boolean> {
    const res = (await run('markCancelled', () => lua.cancel(2, keys.epoch, keys.msg(app, id), ctx.epoch()))) as number;
    // -1: Redis does not know it (e.g. after a data loss): MySQL decides.
    if (res === -1) return durable.cancel(app, id);
    if (res === 1) await durable.cancel(app, id);
    return res === 1;
  }

  async function cleanupLogs(now: number, batch: number): Promise<number> {
    const redisRemoved = (await run('log cleanup', () => lua.logCleanup(2, keys.epoch, keys.logExpiry, ctx.epoch(), keys.logPrefix, now, batch))) as number;
    const mysqlRemoved = await durable.cleanupLogs(now, batch);
    return Math.max(redisRemoved, mysqlRemoved);
  }

  return { appendLog, logSince, ackLog, countLogDelivered, markScheduled, markCancelled, cleanupLogs };
}
