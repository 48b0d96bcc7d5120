import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { uniquePrefix } from '../../shared/testing/env';
import { createMysqlPool } from '../../shared/mysql/mysql-pool';
import { createSaver } from './saver';
import { redisConfig, started } from './saver-test-kit';
import { describeSaver, makeMessage } from './saver.contract';
import { describeSaverLogs } from './saver-log.contract';
import { deleteKeysWithPrefix } from './store/redis-saver-test-kit';

const log = createLogger({}, 'error');


describeSaver('redis + mysql', async (over) => started(await redisConfig(over)));
describeSaverLogs('redis + mysql', async (over) => started(await redisConfig(over)));

describe('saver redis + mysql durability', () => {
  test('a restart keeps every unacked message', async () => {
    const config = await redisConfig();
    const first = await started(config);
    const a = makeMessage('app1');
    const b = makeMessage('app1');
    await first.store(a, [{ app: 'app1', device: 'd1' }]);
    await first.store(b, [{ app: 'app1', device: 'd1' }]);
    assert.equal(await first.ack([{ app: 'app1', device: 'd1', id: a.id }]), 1);
    await first.stop();
    await first.stop();
    const second = await started(config);
    try {
      assert.deepEqual((await second.pending('app1', 'd1')).map((m) => m.id), [b.id]);
    } finally {
      await second.stop();
    }
  });

  test('Redis data loss: pending, attempts and status come back from MySQL', async () => {
    const config = await redisConfig({ maxAttempts: 3, attemptWriteDelayMs: 20 });
    const saver = await started(config);
    try {
      const msgs = [makeMessage('app1'), makeMessage('app1', { topic: 't' }), makeMessage('app1')];
      for (const m of msgs) await saver.store(m, [{ app: 'app1', device: 'dx' }, { app: 'app1', device: 'dy' }]);
      await saver.ack([{ app: 'app1', device: 'dx', id: msgs[0].id }]);
      const d = { app: 'app1', device: 'dx', id: msgs[1].id };
      assert.deepEqual(await saver.attempt([d, d]), [true, true]);
      await new Promise((r) => setTimeout(r, 300)); // attempts are written behind, after attemptWriteDelayMs
      assert.ok((await deleteKeysWithPrefix(config.redisUrl, config.prefix)) > 0);
      const got = await saver.pending('app1', 'dx');
      assert.deepEqual(got.map((m) => m.id), [msgs[1].id, msgs[2].id]);
      assert.deepEqual(Buffer.from(got[0].payload), Buffer.from(msgs[1].payload));
      assert.equal(got[0].topic, 't');
      assert.equal((await saver.pending('app1', 'dy')).length, 3);
      assert.deepEqual(await saver.attempt([d, d]), [true, false], 'attempt counts survive the loss');
      const s = await saver.status('app1', msgs[0].id);
      assert.deepEqual([s?.targets, s?.acked], [2, 1]);
    } finally {
      await saver.stop();
    }
  });

  test('an ack within attemptWriteDelayMs makes the attempt write moot; MySQL still counts it delivered', async () => {
    const config = await redisConfig({ attemptWriteDelayMs: 60_000 });
    const saver = await started(config);
    const pool = createMysqlPool(config.mysqlUrl);
    const m = makeMessage('app1');
    try {
      const [d, e] = [{ app: 'app1', device: 'q1', id: m.id }, { app: 'app1', device: 'q2', id: m.id }];
      await saver.store(m, [d, e]);
      assert.deepEqual(await saver.attempt([d, e]), [true, true]);
      assert.equal(await saver.ack([d]), 1);
      const [rows] = await pool.query('SELECT device, attempts FROM inbox WHERE app = ? AND msg_id = ? ORDER BY device', ['app1', m.id]);
      assert.deepEqual(rows, [{ device: 'q2', attempts: 0 }], 'the acked row is gone; the other attempt is still held');
      const [stats] = await pool.query('SELECT delivered, acked FROM message_stats WHERE app = ? AND id = ?', ['app1', m.id]);
      assert.deepEqual(stats, [{ delivered: 1, acked: 1 }], 'the ack carried the delivery it made moot');
    } finally {
      await saver.stop();
    }
    // stop() writes what was held.
    const [after] = await pool.query('SELECT s.delivered, i.attempts FROM message_stats s JOIN inbox i ON i.app = s.app AND i.msg_id = s.id WHERE s.app = ? AND s.id = ?', ['app1', m.id]);
    await pool.end();
    assert.deepEqual(after, [{ delivered: 2, attempts: 1 }]);
  });

  test('migrations are idempotent (two starts on one database)', async () => {
    const config = await redisConfig();
    const [a, b] = await Promise.all([started(config), started({ ...config, prefix: uniquePrefix('saver') })]);
    await a.stop();
    await b.stop();
    const again = await started(config);
    const m = makeMessage('app1');
    await again.store(m, [{ app: 'app1', device: 'z' }]);
    assert.equal((await again.pending('app1', 'z')).length, 1);
    await again.stop();
  });

  test('MySQL unreachable: start fails naming the option; a bad URL too', async () => {
    const down = await redisConfig({ mysqlUrl: 'mysql://root@127.0.0.1:1/herald', opTimeoutMs: 1000 });
    const saver = createSaver(down, { log, metrics: createRegistry() });
    await assert.rejects(saver.start(), /saver\.mysqlUrl/);
    await saver.stop();
    assert.throws(() => createSaver({ ...down, mysqlUrl: 'http://x/y' }, { log, metrics: createRegistry() }), /saver\.mysqlUrl: protocol/);
    assert.throws(() => createSaver({ ...down, redisUrl: 'nope' }, { log, metrics: createRegistry() }), /saver\.redisUrl/);
    assert.throws(() => createSaver({ ...down, driver: 'disk' as 'memory' }, { log, metrics: createRegistry() }), /saver\.driver/);
  });

  test('expired inbox rows are cleaned from MySQL by the periodic timer', async () => {
    const config = await redisConfig({ cleanupIntervalMs: 50 });
    const saver = await started(config);
    const pool = createMysqlPool(config.mysqlUrl);
    try {
      const short = makeMessage('app1', { expires: Date.now() + 100 });
      const long = makeMessage('app1');
      await saver.store(short, ['a', 'b', 'c'].map((device) => ({ app: 'app1', device })));
      await saver.store(long, [{ app: 'app1', device: 'a' }]);
      const count = async (): Promise<number> => {
        const [rows] = await pool.query('SELECT COUNT(*) AS n FROM inbox');
        return Number((rows as { n: number }[])[0].n);
      };
      assert.equal(await count(), 4);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await count(), 1);
      assert.deepEqual((await saver.pending('app1', 'a')).map((m) => m.id), [long.id]);
    } finally {
      await pool.end();
      await saver.stop();
    }
  });

  test('many concurrent calls are coalesced and all counted (store, attempt, ack)', async () => {
    const config = await redisConfig();
    const saver = await started(config);
    try {
      const msgs = Array.from({ length: 400 }, () => makeMessage('app1'));
      await Promise.all(msgs.map((m, i) => saver.store(m, [{ app: 'app1', device: `c${i % 20}` }])));
      const deliveries = msgs.map((m, i) => ({ app: 'app1', device: `c${i % 20}`, id: m.id }));
      const answers = await Promise.all(deliveries.map((d) => saver.attempt([d])));
      assert.ok(answers.every((a) => a[0] === true));
      const acked = await Promise.all(deliveries.map((d) => saver.ack([d])));
      assert.equal(acked.reduce((s, n) => s + n, 0), 400);
      for (let i = 0; i < 20; i++) assert.equal((await saver.pending('app1', `c${i}`)).length, 0);
      assert.deepEqual(await saver.status('app1', msgs[7].id).then((s) => [s?.state, s?.delivered, s?.acked]), ['done', 1, 1]);
    } finally {
      await saver.stop();
    }
    const pool = createMysqlPool(config.mysqlUrl);
    try {
      const [rows] = await pool.query('SELECT COUNT(*) AS n, SUM(s.acked) AS acked, SUM(s.delivered) AS delivered FROM message_stats s');
      const r = (rows as { n: number; acked: string; delivered: string }[])[0];
      assert.deepEqual([Number(r.n), Number(r.acked), Number(r.delivered)], [400, 400, 400], 'durable counters match');
      const [inbox] = await pool.query('SELECT COUNT(*) AS n FROM inbox');
      assert.equal(Number((inbox as { n: number }[])[0].n), 0);
    } finally {
      await pool.end();
    }
  });
});
