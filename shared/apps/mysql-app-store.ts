import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { App, AppStore } from '../contracts/apps';
import { once } from '../lifecycle/lifecycle';
import { createLogger, type Logger } from '../log/log';
import { type Migration, runMigrations } from '../mysql/mysql-migrate';
import { createMysqlPool } from '../mysql/mysql-pool';
import { AppError, validateApp } from './apps-file';

/** Schema of the apps table, applied with runMigrations under component 'apps'. */
export const appMigrations: Migration[] = [
  {
    version: 1,
    name: 'create apps',
    up: [
      `CREATE TABLE IF NOT EXISTS apps (
        id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        name VARCHAR(200) NOT NULL,
        secret VARCHAR(256) NOT NULL,
        api_keys TEXT NOT NULL COMMENT 'JSON list of API keys',
        single_login TINYINT(1) NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    ],
  },
  {
    version: 2,
    name: 'add upstream routes and status url',
    // One statement: it applies whole or not at all, so a failed start can run it again.
    up: [
      `ALTER TABLE apps ADD COLUMN routes TEXT NULL COMMENT 'JSON object: upstream type -> webhook URL',
        ADD COLUMN status_url VARCHAR(2048) NULL`,
    ],
  },
];

export interface MysqlAppStoreOptions {
  /** mysql://user:password@host:port/database */
  url: string;
  /** How often the in-memory copy is reloaded from the table, ms. Default 5000. */
  refreshMs?: number;
  /** Apps written to the table at start when their id is not there yet (an apps file). */
  seed?: App[];
  log?: Logger;
}

interface AppRow extends RowDataPacket {
  id: string;
  name: string;
  secret: string;
  api_keys: string;
  single_login: number;
  routes: string | null;
  status_url: string | null;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError(`${what} is not JSON: ${(err as Error).message}`);
  }
}

function fromRow(r: AppRow): App {
  const where = `apps table, row ${r.id}`;
  const raw: Record<string, unknown> = {
    id: r.id,
    name: r.name,
    secret: r.secret,
    apiKeys: parseJson(r.api_keys, `${where}: api_keys`),
    singleLogin: r.single_login === 1,
  };
  if (r.routes !== null && r.routes !== '') raw.routes = parseJson(r.routes, `${where}: routes`);
  if (r.status_url !== null && r.status_url !== '') raw.statusUrl = r.status_url;
  return validateApp(raw, where);
}

/** The in-memory copy: get() and byApiKey() answer from it, never from the table. */
function createCache() {
  let byId = new Map<string, App>();
  let byKey = new Map<string, App>();
  return {
    get: (id: string) => byId.get(id),
    byKey: (key: string) => byKey.get(key),
    list: () => [...byId.values()],
    set(app: App) {
      for (const k of byId.get(app.id)?.apiKeys ?? []) byKey.delete(k);
      byId.set(app.id, app);
      for (const k of app.apiKeys) byKey.set(k, app);
    },
    replace(apps: App[]) {
      byId = new Map(apps.map((a) => [a.id, a]));
      byKey = new Map(apps.flatMap((a) => a.apiKeys.map((k) => [k, a] as const)));
    },
  };
}

const UPSERT = `INSERT INTO apps (id, name, secret, api_keys, single_login, routes, status_url, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON DUPLICATE KEY UPDATE name = VALUES(name), secret = VALUES(secret), api_keys = VALUES(api_keys),
  single_login = VALUES(single_login), routes = VALUES(routes), status_url = VALUES(status_url), updated_at = VALUES(updated_at)`;

/**
 * Apps in a MySQL table (cluster mode). The table is created by a versioned migration; the
 * store keeps a copy in memory, reloaded every refreshMs and updated at once by put(), so the
 * hot path never waits on MySQL. A row that fails validation is skipped with a warning.
 */
export async function createMysqlAppStore(opts: MysqlAppStoreOptions): Promise<AppStore> {
  const log = (opts.log ?? createLogger()).child({ component: 'apps' });
  const pool: Pool = createMysqlPool(opts.url, { option: 'apps.mysqlUrl', connectionLimit: 4 });
  const cache = createCache();
  // Bumped by put(): a reload that started before a put must not undo it in the cache.
  let generation = 0;
  let refreshing = false;

  async function reload(): Promise<void> {
    const gen = generation;
    const [rows] = await pool.query<AppRow[]>('SELECT id, name, secret, api_keys, single_login, routes, status_url FROM apps');
    const apps: App[] = [];
    for (const r of rows) {
      try {
        apps.push(fromRow(r));
      } catch (err) {
        log.warn('skipping a bad row of the apps table', { app: r.id, err });
      }
    }
    if (gen === generation) cache.replace(apps);
  }

  async function write(app: App): Promise<void> {
    let a: App;
    try {
      a = validateApp(app, `app ${JSON.stringify(app?.id)}`);
    } catch (err) {
      throw new AppError(`apps.put: ${(err as Error).message}`);
    }
    const now = Date.now();
    const routes = a.routes ? JSON.stringify(a.routes) : null;
    await pool.query(UPSERT, [a.id, a.name, a.secret, JSON.stringify(a.apiKeys), a.singleLogin ? 1 : 0, routes, a.statusUrl ?? null, now, now]);
    generation++;
    cache.set(a);
  }

  try {
    await runMigrations(pool, 'apps', appMigrations, log);
    await reload();
    for (const app of opts.seed ?? []) if (!cache.get(app.id)) await write(app);
  } catch (err) {
    await pool.end();
    throw err;
  }

  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    reload()
      .catch((err: unknown) => log.warn('could not reload apps, keeping the previous copy', { err }))
      .finally(() => (refreshing = false));
  }, opts.refreshMs ?? 5000);
  timer.unref();

  return {
    get: async (id) => cache.get(id),
    byApiKey: async (key) => cache.byKey(key),
    list: async () => cache.list(),
    put: write,
    close: once(async () => {
      clearInterval(timer);
      await pool.end();
    }),
  };
}
