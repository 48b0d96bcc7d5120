import type { App, AppStore } from '../contracts/apps';

/** Apps held in memory (standalone: loaded from the config file). */
export function createMemoryAppStore(initial: App[] = []): AppStore {
  const byId = new Map<string, App>();
  const byKey = new Map<string, App>();
  const put = (app: App): void => {
    const old = byId.get(app.id);
    for (const k of old?.apiKeys ?? []) byKey.delete(k);
    byId.set(app.id, app);
    for (const k of app.apiKeys) byKey.set(k, app);
  };
  initial.forEach(put);
  return {
    get: async (id) => byId.get(id),
    byApiKey: async (key) => byKey.get(key),
    list: async () => [...byId.values()],
    put: async (app) => put(app),
    close: async () => undefined,
  };
}
