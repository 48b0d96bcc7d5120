import type { App, AppStore } from '../contracts/apps';
import type { Logger } from '../log/log';
import { validateApps } from './apps-file';
import { createMemoryAppStore } from './memory-app-store';
import { createMysqlAppStore } from './mysql-app-store';

export interface AppStoreOptions {
  driver: 'memory' | 'mysql';
  /** Initial apps (e.g. from loadAppsFile). memory: the whole set; mysql: inserted when their id is missing. */
  apps?: App[];
  /** mysql driver: mysql://user:password@host:port/database */
  mysqlUrl?: string;
  /** mysql driver: reload interval of the in-memory copy, ms (default 5000). */
  refreshMs?: number;
  log?: Logger;
}

/** Creates the configured app store; throws on an unknown driver or a missing MySQL URL. */
export async function createAppStore(opts: AppStoreOptions): Promise<AppStore> {
  const apps = validateApps(opts.apps ?? [], 'apps');
  const driver: string = opts.driver;
  switch (opts.driver) {
    case 'memory':
      return createMemoryAppStore(apps);
    case 'mysql':
      if (!opts.mysqlUrl) throw new Error("apps: driver 'mysql' needs a mysqlUrl");
      return createMysqlAppStore({ url: opts.mysqlUrl, seed: apps, refreshMs: opts.refreshMs, log: opts.log });
    default:
      throw new Error(`apps: unknown driver ${JSON.stringify(driver)} (expected 'memory' or 'mysql')`);
  }
}
