/** An integrator's app. */
export interface App {
  id: string;
  name: string;
  /** HS256 secret for client tokens (and webhook signatures). */
  secret: string;
  /** Bearer keys for the public HTTP API. */
  apiKeys: string[];
  /** A new session of a device replaces the old one on any room. */
  singleLogin?: boolean;
  /** Upstream webhooks: data type -> URL the coordinator POSTs to. */
  routes?: Record<string, string>;
  /** URL that gets online/offline status callbacks; absent = none. */
  statusUrl?: string;
}

/**
 * Where apps are kept: a config file in standalone, a MySQL table in a cluster.
 * get() and byApiKey() are on the hot path and answer from memory.
 */
export interface AppStore {
  get(id: string): Promise<App | undefined>;
  byApiKey(key: string): Promise<App | undefined>;
  list(): Promise<App[]>;
  put(app: App): Promise<void>;
  close(): Promise<void>;
}
