import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import type { LogFields, Logger } from '../log/log';
import { freshMysqlDatabase } from '../testing/mysql-test-db';
import { runMigrations, type Migration } from './mysql-migrate';
import { createMysqlPool, parseMysqlUrl } from './mysql-pool';

function recordingLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: () => undefined,
    info: (msg: string, _f?: LogFields) => void lines.push(msg),
    warn: (msg: string) => void lines.push(msg),
    error: (msg: string) => void lines.push(msg),
    child: () => log,
  };
  return log;
}

const steps: Migration[] = [
  { version: 1, name: 'create things', up: ['CREATE TABLE things (id INT PRIMARY KEY)'] },
  { version: 2, name: 'add name', up: ['ALTER TABLE things ADD COLUMN name VARCHAR(10) NULL'] },
  { version: 3, name: 'add other', up: ['CREATE TABLE other (id INT PRIMARY KEY)', 'INSERT INTO other VALUES (1)'] },
];

test('runMigrations applies missing versions in order, once, also when two run at once', async () => {
  const pool = createMysqlPool(await freshMysqlDatabase('migrate'));
  try {
    const lines: string[] = [];
    await runMigrations(pool, 'demo', steps.slice(0, 2), recordingLogger(lines));
    assert.deepEqual(lines, ['migrating demo: 1/2 create things', 'migrating demo: 2/2 add name']);
    lines.length = 0;
    // Two processes starting at once: the lock serializes them and each step runs once.
    await Promise.all([runMigrations(pool, 'demo', steps, recordingLogger(lines)), runMigrations(pool, 'demo', [...steps].reverse(), recordingLogger(lines))]);
    assert.deepEqual(lines, ['migrating demo: 3/3 add other']);
    const [rows] = await pool.query<RowDataPacket[]>('SELECT component, version, name FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => `${r.component}:${r.version}:${r.name}`), ['demo:1:create things', 'demo:2:add name', 'demo:3:add other']);
    const [other] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM other');
    assert.equal(Number(other[0].n), 1);
    // Another component's versions are independent.
    await runMigrations(pool, 'second', [{ version: 1, name: 'x', up: ['CREATE TABLE second_x (id INT)'] }], recordingLogger(lines));
    assert.equal(lines.at(-1), 'migrating second: 1/1 x');
  } finally {
    await pool.end();
  }
});

test('a failing step is reported and not recorded; duplicate versions are refused', async () => {
  const pool = createMysqlPool(await freshMysqlDatabase('migrate'));
  try {
    const bad: Migration[] = [{ version: 1, name: 'broken', up: ['CREATE TABLE nope ('] }];
    await assert.rejects(runMigrations(pool, 'demo', bad, recordingLogger([])), /SQL syntax/);
    const [rows] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM schema_migrations');
    assert.equal(Number(rows[0].n), 0);
    await assert.rejects(runMigrations(pool, 'demo', [steps[0], { ...steps[1], version: 1 }], recordingLogger([])), /listed twice/);
  } finally {
    await pool.end();
  }
});

test('parseMysqlUrl names the option on a bad URL', () => {
  assert.throws(() => parseMysqlUrl('not a url', 'center.mysqlUrl'), /center\.mysqlUrl: not a URL/);
  assert.throws(() => parseMysqlUrl('redis://h:1/db', 'x.mysqlUrl'), /x\.mysqlUrl: protocol/);
  assert.throws(() => parseMysqlUrl('mysql://h:1', 'x.mysqlUrl'), /must name a database/);
  assert.deepEqual(parseMysqlUrl('mysql://u:p%40ss@h:3307/db'), { host: 'h', port: 3307, user: 'u', password: 'p@ss', database: 'db' });
});
