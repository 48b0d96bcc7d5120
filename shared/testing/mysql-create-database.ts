import { createConnection } from 'mysql2/promise';

/** Creates the database on a MySQL/MariaDB server unless it exists; answers the URL with it. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: letters, digits and _ only`);
  const conn = await createConnection(serverUrl);
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
  return `${serverUrl.replace(/\/+$/, '')}/${name}`;
}
