import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { DeadLetter, Delivery, Message, MessageStatus } from '../../../shared/contracts/saver';
import { withTimeout } from '../../../shared/lifecycle/lifecycle';
import type { Logger } from '../../../shared/log/log';
import { runMigrations } from '../../../shared/mysql/mysql-migrate';
import { createMysqlPool } from '../../../shared/mysql/mysql-pool';
import type { PushKindName } from '../../../shared/protocol/codes';
import { createBatcher } from './batcher';
import { createDeferredAttempts } from './deferred-attempts';
import type { AttemptRow, DurableInbox, InboxRow, StoredMessage } from './durable-inbox';
import { chunks, inboxKeys, mergeDeltas, statsUpsert, valuesList, type Sql, type StatsDelta } from './saver-sql';
import { createMysqlLogs } from './mysql-log-store';
import { saverMigrations } from './saver-migrations';
import { stateOf } from './saver-store';

export interface MysqlInboxOptions {
  mysqlUrl: string;
  batchRows: number;
  opTimeoutMs: number;
  /** How long attempt rows wait for an ack that makes them moot, ms (0 = written at once). */
  attemptWriteDelayMs?: number;
}

/** An ack to write: `delivered` when it also carries a first attempt that was never written. */
type Removal = Delivery & { counted: boolean; delivered: boolean };

interface InsertJob {
  message: Message;
  devices: string[];
  keepUntil: number;
}

const ER_LOCK_DEADLOCK = 1213;
const DEADLOCK_TRIES = 8;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wraps a driver error so callers see what failed and why (e.g. MySQL went away). */
function mysqlError(what: string, err: unknown): Error {
  const e = err as { code?: string; message?: string };
  return new Error(`saver: MySQL ${what} failed: ${e.code ?? ''} ${e.message ?? String(err)}`.replace(/\s+/g, ' ').trim(), { cause: err });
}

/** The saver's durable copy in MySQL/MariaDB: tables messages, inbox, dead_letters, message_stats. */
export function createMysqlInbox(opts: MysqlInboxOptions, log: Logger): DurableInbox {
  const pool: Pool = createMysqlPool(opts.mysqlUrl, {
    option: 'saver.mysqlUrl',
    connectTimeoutMs: opts.opTimeoutMs,
    connectionLimit: 16,
    readCommitted: true,
    multipleStatements: true,
  });
  const size = opts.batchRows;
  let closed = false;

  /**
   * Runs statements in one transaction, bounded by opTimeoutMs. Concurrent batches upserting
   * the same message_stats rows can deadlock under load: retry after a short random pause.
   */
  async function tx(what: string, build: () => Sql[]): Promise<void> {
    const statements = build();
    if (statements.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await withTimeout(`saver: MySQL ${what}`, opts.opTimeoutMs, () => runTx(statements));
        return;
      } catch (err) {
        if ((err as { errno?: number }).errno !== ER_LOCK_DEADLOCK || attempt >= DEADLOCK_TRIES) throw mysqlError(what, err);
        log.debug('saver: MySQL deadlock, retrying', { op: what, attempt });
        await sleep(attempt * (5 + Math.random() * 20));
      }
    }
  }

  /** The whole transaction goes as one query: one round trip however many statements. */
  async function runTx(statements: Sql[]): Promise<void> {
    const conn: PoolConnection = await pool.getConnection();
    try {
      const sql = ['START TRANSACTION', ...statements.map((s) => s.sql), 'COMMIT'].join(';\n');
      const params = statements.length === 1 ? statements[0].params : statements.flatMap((s) => s.params);
      try {
        await conn.query(sql, params);
      } catch (err) {
        // A failed statement ends the query there and leaves the transaction open.
        await conn.query('ROLLBACK').catch((rbErr: unknown) => log.debug('saver: rollback failed', { err: rbErr }));
        throw err;
      }
    } finally {
      conn.release();
    }
  }

  async function select<T extends RowDataPacket>(what: string, sql: string, params: unknown[]): Promise<T[]> {
    try {
      const [rows] = await withTimeout(`saver: MySQL ${what}`, opts.opTimeoutMs, () => pool.query<T[]>(sql, params));
      return rows;
    } catch (err) {
      throw mysqlError(what, err);
    }
  }

  async function exec(what: string, sql: string, params: unknown[]): Promise<number> {
    try {
      const [res] = await withTimeout(`saver: MySQL ${what}`, opts.opTimeoutMs, () => pool.query(sql, params));
      return (res as { affectedRows: number }).affectedRows;
    } catch (err) {
      throw mysqlError(what, err);
    }
  }

  function insertStatements(jobs: InsertJob[]): Sql[] {
    const out: Sql[] = [];
    for (const part of chunks(jobs, size)) {
      const mp: unknown[] = [];
      const sp: unknown[] = [];
      for (const { message: m, devices, keepUntil } of part) {
        mp.push(m.app, m.id, m.kind, m.topic ?? null, Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength), m.created, m.expires, m.qos);
        sp.push(m.app, m.id, m.kind, m.qos, m.created, m.expires, keepUntil, devices.length);
      }
      out.push({ sql: `INSERT IGNORE INTO messages (app, id, kind, topic, payload, created, expires, qos) VALUES ${valuesList(part.length, 8)}`, params: mp });
      out.push({
        sql:
          `INSERT INTO message_stats (app, id, kind, qos, created, expires, keep_until, targets) VALUES ${valuesList(part.length, 8)}` +
          ' ON DUPLICATE KEY UPDATE kind = VALUES(kind), qos = VALUES(qos), created = VALUES(created), expires = VALUES(expires),' +
          ' keep_until = VALUES(keep_until), targets = targets + VALUES(targets), state = NULL',
        params: sp,
      });
    }
    const rows: unknown[][] = [];
    for (const { message: m, devices } of jobs) for (const d of devices) rows.push([m.app, d, m.id, m.created, m.expires]);
    for (const part of chunks(rows, size)) {
      out.push({ sql: `INSERT IGNORE INTO inbox (app, device, msg_id, created, expires) VALUES ${valuesList(part.length, 5)}`, params: part.flat() });
    }
    return out;
  }

  function deleteAndCount(rows: Delivery[], deltas: StatsDelta[]): Sql[] {
    const out: Sql[] = [];
    for (const part of chunks(rows, size)) {
      const where = inboxKeys(part);
      out.push({ sql: `DELETE FROM inbox WHERE ${where.sql}`, params: where.params });
    }
    const merged = mergeDeltas(deltas);
    for (const part of chunks(merged, size)) if (part.length > 0) out.push(statsUpsert(part));
    return out;
  }

  function attemptStatements(rows: AttemptRow[]): Sql[] {
    // The same delivery may be attempted several times in one batch: group by increment.
    const counts = new Map<string, { d: Delivery; n: number }>();
    for (const r of rows) {
      const k = `${r.app}\u0000${r.device}\u0000${r.id}`;
      const c = counts.get(k);
      if (c) c.n++;
      else counts.set(k, { d: r, n: 1 });
    }
    const byIncrement = new Map<number, Delivery[]>();
    for (const { d, n } of counts.values()) {
      const list = byIncrement.get(n);
      if (list) list.push(d);
      else byIncrement.set(n, [d]);
    }
    const out: Sql[] = [];
    for (const [n, list] of byIncrement) {
      for (const part of chunks(list, size)) {
        const where = inboxKeys(part);
        out.push({ sql: `UPDATE inbox SET attempts = attempts + ? WHERE ${where.sql}`, params: [n, ...where.params] });
      }
    }
    const firsts = rows.filter((r) => r.first).map((r) => ({ app: r.app, id: r.id, delivered: 1, acked: 0, deadLettered: 0 }));
    for (const part of chunks(mergeDeltas(firsts), size)) if (part.length > 0) out.push(statsUpsert(part));
    return out;
  }

  const inserts = createBatcher<InsertJob>({ maxItems: size, concurrency: 4, run: (jobs) => tx('store', () => insertStatements(jobs)) });
  const removals = createBatcher<Removal>({
    maxItems: size,
    concurrency: 4,
    run: (acks) =>
      tx('ack', () =>
        deleteAndCount(
          acks,
          acks.filter((a) => a.counted || a.delivered).map((a) => ({ app: a.app, id: a.id, delivered: a.delivered ? 1 : 0, acked: a.counted ? 1 : 0, deadLettered: 0 })),
        ),
      ),
  });
  const attempts = createBatcher<AttemptRow>({ maxItems: size, concurrency: 2, run: (rows) => tx('attempt', () => attemptStatements(rows)) });
  const delayMs = opts.attemptWriteDelayMs ?? 0;
  const deferred = createDeferredAttempts(delayMs, (rows) => attempts.add(rows));
  const deads = createBatcher<DeadLetter>({
    maxItems: size,
    concurrency: 2,
    run: (letters) =>
      tx('dead letter', () => [
        ...deleteAndCount(letters, letters.map((l) => ({ app: l.app, id: l.id, delivered: 0, acked: 0, deadLettered: 1 }))),
        ...chunks(letters, size).map((part) => ({
          sql: `INSERT INTO dead_letters (app, device, msg_id, attempts, at) VALUES ${valuesList(part.length, 5)}`,
          params: part.flatMap((l) => [l.app, l.device, l.id, l.attempts, l.at]),
        })),
      ]),
  });

  const logs = createMysqlLogs({ tx, select, exec }, size);

  return {
    ...logs,
    async start() {
      try {
        await withTimeout('saver: MySQL migrations', Math.max(opts.opTimeoutMs, 30_000), () => runMigrations(pool, 'saver', saverMigrations, log));
      } catch (err) {
        throw new Error(`saver.mysqlUrl: cannot prepare the database: ${(err as Error).message}`, { cause: err });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await deferred.flush();
      await Promise.all([inserts.drain(), removals.drain(), attempts.drain(), deads.drain(), logs.drainLogs()]);
      await pool.end();
    },
    insert: (message, devices, keepUntil) => inserts.add([{ message, devices, keepUntil }]),
    remove: (acks) => {
      // With no delay nothing is ever held: skip the per-ack key lookups.
      const firsts = delayMs > 0 ? deferred.take(acks) : undefined;
      return removals.add(acks.map((a, i) => ({ ...a, delivered: firsts?.[i] ?? false })));
    },
    attempts: (rows) => (delayMs > 0 ? deferred.add(rows) : attempts.add(rows)),
    deadLetter: (letters) => deads.add(letters),
    async deadLetters(app, limit) {
      const rows = await select<RowDataPacket>('dead letters', 'SELECT device, msg_id, attempts, at FROM dead_letters WHERE app = ? ORDER BY seq DESC LIMIT ?', [app, limit]);
      return rows.map((r) => ({ app, device: String(r.device), id: String(r.msg_id), attempts: Number(r.attempts), at: Number(r.at) }));
    },
    async status(app, id) {
      const rows = await select<RowDataPacket>('status', 'SELECT * FROM message_stats WHERE app = ? AND id = ? AND keep_until > 0', [app, id]);
      return rows.length === 0 ? undefined : toStatus(rows[0]);
    },
    async scanInbox(afterSeq, now, limit) {
      const rows = await select<RowDataPacket>(
        'inbox scan',
        'SELECT seq, app, device, msg_id, attempts, created, expires FROM inbox WHERE seq > ? AND expires > ? ORDER BY seq LIMIT ?',
        [afterSeq, now, limit],
      );
      return rows.map((r): InboxRow => ({ seq: Number(r.seq), app: String(r.app), device: String(r.device), id: String(r.msg_id), attempts: Number(r.attempts), created: Number(r.created), expires: Number(r.expires) }));
    },
    async messages(app, ids) {
      if (ids.length === 0) return [];
      const rows = await select<RowDataPacket>(
        'message load',
        `SELECT m.*, s.targets, s.delivered, s.acked, s.dead_lettered, s.keep_until FROM messages m
         LEFT JOIN message_stats s ON s.app = m.app AND s.id = m.id WHERE m.app = ? AND m.id IN (?)`,
        [app, ids],
      );
      return rows.map(toStored);
    },
    async cleanup(now, batch, retentionMs) {
      const del = exec;
      const n = await del('inbox cleanup', 'DELETE FROM inbox WHERE expires <= ? LIMIT ?', [now, batch]);
      await del('messages cleanup', 'DELETE FROM messages WHERE expires <= ? LIMIT ?', [now, batch]);
      await del('stats cleanup', 'DELETE FROM message_stats WHERE keep_until <= ? LIMIT ?', [now, batch]);
      await del('dead letter cleanup', 'DELETE FROM dead_letters WHERE at <= ? LIMIT ?', [now - 7 * retentionMs, batch]);
      return n;
    },
  };
}

function toStatus(r: RowDataPacket): MessageStatus {
  const m = { qos: Number(r.qos), expires: Number(r.expires) };
  const counts = { targets: Number(r.targets), delivered: Number(r.delivered), acked: Number(r.acked), deadLettered: Number(r.dead_lettered) };
  return {
    id: String(r.id),
    app: String(r.app),
    kind: String(r.kind) as PushKindName,
    qos: m.qos === 0 ? 0 : 1,
    created: Number(r.created),
    expires: m.expires,
    state: stateOf(m, counts, Date.now(), { state: r.state === 'scheduled' || r.state === 'cancelled' ? r.state : undefined, logged: Number(r.logged) === 1 }),
    ...counts,
  };
}

function toStored(r: RowDataPacket): StoredMessage {
  const message: Message = {
    id: String(r.id),
    app: String(r.app),
    kind: String(r.kind) as PushKindName,
    payload: new Uint8Array(r.payload as Buffer),
    created: Number(r.created),
    expires: Number(r.expires),
    qos: Number(r.qos) === 0 ? 0 : 1,
  };
  if (r.topic !== null && r.topic !== undefined) message.topic = String(r.topic);
  return {
    message,
    targets: Number(r.targets ?? 0),
    delivered: Number(r.delivered ?? 0),
    acked: Number(r.acked ?? 0),
    deadLettered: Number(r.dead_lettered ?? 0),
    keepUntil: Number(r.keep_until ?? r.expires),
  };
}
