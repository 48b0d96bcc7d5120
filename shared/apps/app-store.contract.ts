import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { App, AppStore } from '../contracts/apps';

/** Makes a fresh, isolated store holding the given apps. */
export type AppStoreFactory = (apps: App[]) => Promise<AppStore>;

export const appA: App = { id: 'app-a', name: 'A', secret: 'secret-a-0123456789', apiKeys: ['key-a1-0123456789', 'key-a2-0123456789'] };
export const appB: App = { id: 'app-b', name: 'B', secret: 'secret-b-0123456789', apiKeys: ['key-b1-0123456789'], singleLogin: true };

/** Compares apps the way every backend stores them: singleLogin absent means false. */
export const norm = (a: App | undefined): App | undefined => (a ? { ...a, singleLogin: a.singleLogin ?? false } : a);
const byId = (x: App, y: App): number => (x.id < y.id ? -1 : 1);

/** The AppStore contract, run against every backend. */
export function describeAppStore(name: string, factory: AppStoreFactory): void {
  describe(`AppStore contract: ${name}`, () => {
    async function withStore(apps: App[], fn: (s: AppStore) => Promise<void>): Promise<void> {
      const store = await factory(apps);
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    }

    test('answers get, byApiKey and list for its initial apps', () =>
      withStore([appA, appB], async (s) => {
        assert.deepEqual(norm(await s.get('app-a')), norm(appA));
        assert.deepEqual(norm(await s.byApiKey('key-a2-0123456789')), norm(appA));
        assert.deepEqual(norm(await s.byApiKey('key-b1-0123456789')), norm(appB));
        assert.deepEqual((await s.list()).sort(byId).map(norm), [appA, appB].map(norm));
      }));

    test('unknown ids and keys answer undefined', () =>
      withStore([appA], async (s) => {
        assert.equal(await s.get('app-b'), undefined);
        assert.equal(await s.get('APP-A'), undefined);
        assert.equal(await s.byApiKey('key-b1-0123456789'), undefined);
        assert.equal(await s.byApiKey(''), undefined);
      }));

    test('put adds an app, visible at once', () =>
      withStore([appA], async (s) => {
        await s.put(appB);
        assert.deepEqual(norm(await s.get('app-b')), norm(appB));
        assert.deepEqual(norm(await s.byApiKey('key-b1-0123456789')), norm(appB));
        assert.equal((await s.list()).length, 2);
      }));

    test('put replaces an app: a removed key stops working, a new one works', () =>
      withStore([appA], async (s) => {
        const changed: App = { ...appA, name: 'A2', secret: 'secret-a-new-0123456', apiKeys: ['key-a2-0123456789', 'key-a3-0123456789'] };
        await s.put(changed);
        assert.deepEqual(norm(await s.get('app-a')), norm(changed));
        assert.equal(await s.byApiKey('key-a1-0123456789'), undefined);
        assert.equal((await s.byApiKey('key-a3-0123456789'))?.name, 'A2');
        assert.equal((await s.byApiKey('key-a2-0123456789'))?.secret, 'secret-a-new-0123456');
        assert.equal((await s.list()).length, 1);
      }));

    test('keeps routes and statusUrl, and a put without them removes them', () =>
      withStore([appA], async (s) => {
        const routed: App = { ...appA, routes: { chat: 'https://example.test/chat' }, statusUrl: 'http://127.0.0.1:9/status' };
        await s.put(routed);
        assert.deepEqual(norm(await s.get('app-a')), norm(routed));
        assert.deepEqual((await s.byApiKey('key-a1-0123456789'))?.routes, { chat: 'https://example.test/chat' });
        await s.put(appA);
        assert.equal((await s.get('app-a'))?.routes, undefined);
        assert.equal((await s.get('app-a'))?.statusUrl, undefined);
      }));

    test('close is safe twice', async () => {
      const s = await factory([]);
      await s.close();
      await s.close();
    });
  });
}
