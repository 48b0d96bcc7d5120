import { createPool, type Pool } from 'mysql2/promise';

export type { Pool };

export interface MysqlPoolOptions {
  /** The config option that holds the URL, named in errors (e.g. 'saver.mysqlUrl'). */
  option?: string;
  connectionLimit?: number;
  /** Bound on opening one connection, ms. */
  connectTimeoutMs?: number;
  /**
   * Run every connection's transactions at READ COMMITTED: no gap locks, so concurrent batches
   * inserting and deleting neighbouring rows of one table do not deadlock each other.
   */
  readCommitted?: boolean;
  /** Allow several `;`-separated statements in one query (one round trip for a transaction). */
  multipleStatements?: boolean;
}

/**
 * Parses and checks a mysql://user:password@host:port/database URL; throws an Error naming
 * the option when it is not one. The database part is required.
 */
export function parseMysqlUrl(url: string, option = 'mysqlUrl'): { host: string; port: number; user: string; password: string; database: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${option}: not a URL: ${JSON.stringify(url)} (expected mysql://user:password@host:port/database)`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
    throw new Error(`${option}: protocol must be mysql:// (got ${u.protocol}//)`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw new Error(`${option}: the URL must name a database, e.g. mysql://root@127.0.0.1:3306/herald`);
  const port = u.port ? Number(u.port) : 3306;
  if (!u.hostname) throw new Error(`${option}: the URL has no host`);
  return { host: u.hostname, port, user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password), database };
}

/** A mysql2/promise pool for a validated URL (no connection is opened until first use). */
export function createMysqlPool(url: string, opts: MysqlPoolOptions = {}): Pool {
  const c = parseMysqlUrl(url, opts.option);
  const pool = createPool({
    ...c,
    connectionLimit: opts.connectionLimit ?? 10,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    enableKeepAlive: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: opts.multipleStatements ?? false,
    charset: 'utf8mb4',
  });
  if (opts.readCommitted) {
    // Queued on the new connection ahead of any caller's command. A connection that refuses it
    // is dropped (its caller's command then fails with a clear error) rather than used at the
    // wrong level; the callback also keeps a failure from being an unhandled 'error' event.
    // The core pool: its 'connection' event hands over the callback-API connection.
    pool.pool.on('connection', (conn) => {
      conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err: unknown) => {
        if (err) conn.destroy();
      });
    });
  }
  return pool;
}
