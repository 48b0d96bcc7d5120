import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../log/log';

/** One schema step: statements run in order; a version is applied once per database. */
export interface Migration {
  version: number;
  name: string;
  up: string[];
}

const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component VARCHAR(64) NOT NULL,
  version INT NOT NULL,
  name VARCHAR(255) NOT NULL,
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (component, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/** How long a second process waits for the first one's migrations, seconds. */
const lockWaitSeconds = 120;

function checkList(component: string, migrations: Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 0; i < sorted.length; i++) {
    const m = sorted[i];
    if (!Number.isInteger(m.version) || m.version < 1) throw new Error(`migrations of ${component}: version ${m.version} must be a positive integer`);
    if (i > 0 && sorted[i - 1].version === m.version) throw new Error(`migrations of ${component}: version ${m.version} is listed twice`);
  }
  return sorted;
}

async function applyMissing(conn: PoolConnection, component: string, list: Migration[], log: Logger): Promise<void> {
  await conn.query(createTable);
  const [rows] = await conn.query<RowDataPacket[]>('SELECT version FROM schema_migrations WHERE component = ?', [component]);
  const applied = new Set(rows.map((r) => Number(r.version)));
  const todo = list.filter((m) => !applied.has(m.version));
  for (const m of todo) {
    log.info(`migrating ${component}: ${m.version}/${list[list.length - 1].version} ${m.name}`, { component, version: m.version });
    for (const sql of m.up) await conn.query(sql);
    await conn.query('INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)', [
      component,
      m.version,
      m.name,
      Date.now(),
    ]);
  }
  if (todo.length === 0) log.debug(`migrations of ${component} up to date`, { component });
}

/**
 * Applies the component's missing migrations in version order and records each in
 * schema_migrations (component, version, name, applied_at). Processes starting at once
 * serialize on a named lock (GET_LOCK) per database and component, so each step runs once.
 * DDL is not transactional in MySQL: a failed step is not recorded and is retried next start,
 * so write steps that can be re-run (IF NOT EXISTS).
 */
export async function runMigrations(pool: Pool, component: string, migrations: Migration[], log: Logger): Promise<void> {
  const list = checkList(component, migrations);
  const conn = await pool.getConnection();
  const lockName = "CONCAT('herald_migrate_', LEFT(SHA1(CONCAT(DATABASE(), '/', ?)), 40))";
  try {
    const [got] = await conn.query<RowDataPacket[]>(`SELECT GET_LOCK(${lockName}, ?) AS ok`, [component, lockWaitSeconds]);
    if (Number(got[0]?.ok) !== 1) throw new Error(`migrations of ${component}: could not take the migration lock within ${lockWaitSeconds} s`);
    try {
      await applyMissing(conn, component, list, log);
    } finally {
      await conn.query(`SELECT RELEASE_LOCK(${lockName})`, [component]);
    }
  } finally {
    conn.release();
  }
}
