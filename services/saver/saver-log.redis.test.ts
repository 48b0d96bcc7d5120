import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMysqlPool } from '../../shared/mysql/mysql-pool';
import { redisConfig, started } from './saver-test-kit';
import { makeMessage } from './saver.contract';
import { makeLogMessage } from './saver-log.contract';
import { deleteKeysWithPrefix, redisLogState } from './store/redis-saver-test-kit';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


describe('saver logs on redis + mysql: durability', () => {
  test('a restart keeps logs and watermarks', async () => {
    const config = await redisConfig();
    const first = await started(config);
    const ms = [makeLogMessage('a1', ''), makeLogMessage('a1', ''), makeLogMessage('a1', 'sport')];
    for (const m of ms) await first.appendLog(m);
    await first.ackLog([{ app: 'a1', device: 'd1', log: '', seq: 1, id: ms[0].id }]);
    await first.stop();
    const second = await started(config);
    try {
      const got = await second.logSince('a1', 'd1', ['', 'sport']);
      assert.deepEqual(got.map((e) => [e.log, e.seq, e.message.id]), [['', 2, ms[1].id], ['sport', 1, ms[2].id]]);
      assert.equal(await second.appendLog(makeLogMessage('a1', '')), 3);
    } finally {
      await second.stop();
    }
  });

  test('Redis data loss: logs, seqs, watermarks, counters and scheduled states come back from MySQL', async () => {
    const config = await redisConfig();
    const saver = await started(config);
    try {
      const ms = [makeLogMessage('a1', ''), makeLogMessage('a1', ''), makeLogMessage('a1', 'news'), makeLogMessage('a1', 'news')];
      for (const m of ms) await saver.appendLog(m);
      await saver.ackLog([
        { app: 'a1', device: 'd1', log: '', seq: 1, id: ms[0].id },
        { app: 'a1', device: 'd1', log: 'news', seq: 2, id: ms[3].id },
        { app: 'a1', device: 'd2', log: '', seq: 2, id: ms[1].id },
      ]);
      await saver.countLogDelivered([{ app: 'a1', id: ms[1].id, delivered: 4 }]);
      const sched = makeMessage('a1');
      const sched2 = makeMessage('a1');
      await saver.markScheduled(sched, Date.now() + 60_000);
      await saver.markScheduled(sched2, Date.now() + 60_000);
      assert.ok((await deleteKeysWithPrefix(config.redisUrl, config.prefix)) > 0);

      const got = await saver.logSince('a1', 'd1', ['', 'news']);
      assert.deepEqual(got.map((e) => [e.log, e.seq, e.message.id]), [['', 2, ms[1].id]]);
      assert.deepEqual(Buffer.from(got[0].message.payload), Buffer.from(ms[1].payload));
      assert.deepEqual((await saver.logSince('a1', 'd2', ['', 'news'])).map((e) => e.seq), [1, 2]);
      assert.equal(await saver.appendLog(makeLogMessage('a1', 'news')), 3, 'seq continues after the loss');
      const s = await saver.status('a1', ms[1].id);
      assert.deepEqual([s?.state, s?.delivered, s?.acked, s?.kind], ['pending', 4, 1, 'broadcast']);
      await saver.ackLog([{ app: 'a1', device: 'd1', log: '', seq: 1, id: ms[0].id }]);
      assert.equal((await saver.status('a1', ms[0].id))?.acked, 1, 'a restored watermark still blocks a repeated ack');
      assert.equal((await saver.status('a1', sched.id))?.state, 'scheduled');
      assert.equal(await saver.markCancelled('a1', sched.id), true);
      assert.equal((await saver.status('a1', sched.id))?.state, 'cancelled');
      assert.equal(await saver.markCancelled('a1', sched.id), false);
      await saver.store(sched2, [{ app: 'a1', device: 'x' }]);
      assert.equal((await saver.status('a1', sched2.id))?.state, 'pending');
    } finally {
      await saver.stop();
    }
  });

  test('expired log entries and stale watermarks are cleaned from Redis and MySQL', async () => {
    const config = await redisConfig({ cleanupIntervalMs: 50 });
    const saver = await started(config);
    const pool = createMysqlPool(config.mysqlUrl);
    try {
      const short = makeLogMessage('a1', 't', { expires: Date.now() + 150 });
      const long = makeLogMessage('a1', 't');
      await saver.appendLog(short);
      await saver.ackLog([{ app: 'a1', device: 'd', log: 't', seq: 1, id: short.id }]);
      await saver.appendLog(long);
      const count = async (table: string): Promise<number> => {
        const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${table}`);
        return Number((rows as { n: number }[])[0].n);
      };
      assert.deepEqual([await count('log_messages'), await count('watermarks')], [2, 1]);
      await sleep(500);
      assert.deepEqual([await count('log_messages'), await count('watermarks')], [1, 0]);
      assert.deepEqual(await redisLogState(config.redisUrl, config.prefix, 'a1', 't'), { ids: [long.id], expiryIndex: 1 });
      assert.deepEqual((await saver.logSince('a1', 'd', ['t'])).map((e) => e.seq), [2]);
    } finally {
      await pool.end();
      await saver.stop();
    }
  });

  test('many concurrent acks are coalesced into watermark rows holding the max', async () => {
    const config = await redisConfig();
    const saver = await started(config);
    const ms = Array.from({ length: 50 }, () => makeLogMessage('a1', ''));
    for (const m of ms) await saver.appendLog(m);
    await Promise.all(
      ms.flatMap((m, i) => ['d1', 'd2', 'd3'].map((device) => saver.ackLog([{ app: 'a1', device, log: '', seq: i + 1, id: m.id }]))),
    );
    await saver.stop();
    const pool = createMysqlPool(config.mysqlUrl);
    try {
      const [rows] = await pool.query('SELECT device, seq FROM watermarks ORDER BY device');
      assert.deepEqual((rows as { device: string; seq: number }[]).map((r) => [r.device, Number(r.seq)]), [['d1', 50], ['d2', 50], ['d3', 50]]);
      const [stats] = await pool.query('SELECT SUM(acked) AS acked FROM message_stats');
      assert.equal(Number((stats as { acked: string }[])[0].acked), 150);
    } finally {
      await pool.end();
    }
  });
});
