import type { App, AppStore } from '../../shared/contracts/apps';

/** The app the quickstart uses: fixed keys, so the README's commands work without editing. */
export const demoApp: App = { id: 'demo', name: 'Demo app', secret: 'demo-secret-change-me', apiKeys: ['demo-api-key-change-me'] };

/** Adds the demo app unless an app with its id exists; answers whether it is the built-in one. */
export async function ensureDemoApp(apps: AppStore): Promise<boolean> {
  const existing = await apps.get(demoApp.id);
  if (!existing) await apps.put(demoApp);
  return !existing;
}
