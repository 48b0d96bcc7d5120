import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { testMysqlUrl } from './env';

/** Creates an empty database on the test MariaDB and returns its URL. */
export async function freshMysqlDatabase(name = 'herald'): Promise<string> {
  const db = `${name}_${randomBytes(4).toString('hex')}`;
  const conn = await createConnection(testMysqlUrl());
  try {
    await conn.query(`CREATE DATABASE \`${db}\``);
  } finally {
    await conn.end();
  }
  return `${testMysqlUrl()}/${db}`;
}
