import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { freshMysqlDatabase } from '../testing/mysql-test-db';
import { createMysqlPool } from './mysql-pool';

const level = async (pool: ReturnType<typeof createMysqlPool>): Promise<string> => {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT @@SESSION.tx_isolation AS level');
  return String(rows[0].level);
};

test('readCommitted: every connection of the pool runs at READ COMMITTED; multipleStatements: one query, several statements', async () => {
  const url = await freshMysqlDatabase('pool');
  const plain = createMysqlPool(url);
  const pool = createMysqlPool(url, { readCommitted: true, multipleStatements: true, connectionLimit: 3 });
  try {
    assert.equal(await level(plain), 'REPEATABLE-READ', 'the server default, for contrast');
    const levels = await Promise.all([level(pool), level(pool), level(pool)]);
    assert.deepEqual(levels, ['READ-COMMITTED', 'READ-COMMITTED', 'READ-COMMITTED']);
    await pool.query('CREATE TABLE t (id INT PRIMARY KEY); START TRANSACTION; INSERT INTO t VALUES (?); INSERT INTO t VALUES (?); COMMIT', [1, 2]);
    const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM t');
    assert.equal(Number(rows[0].n), 2);
    await assert.rejects(plain.query('SELECT 1; SELECT 2'), /syntax/i, 'off by default');
  } finally {
    await Promise.all([plain.end(), pool.end()]);
  }
});
