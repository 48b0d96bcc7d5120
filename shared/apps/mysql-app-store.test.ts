import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { freshMysqlDatabase } from '../testing/mysql-test-db';
import type { LogFields, Logger } from '../log/log';
import { appA, appB, describeAppStore, norm } from './app-store.contract';
import { createAppStore } from './app-store';
import { appMigrations, createMysqlAppStore } from './mysql-app-store';

const quiet = (lines: { msg: string; fields?: LogFields }[] = []): Logger => {
  const keep = (msg: string, fields?: LogFields): void => void lines.push({ msg, fields });
  const log: Logger = { debug: keep, info: keep, warn: keep, error: keep, child: () => log };
  return log;
};

describeAppStore('mysql', async (apps) => createAppStore({ driver: 'mysql', mysqlUrl: await freshMysqlDatabase('apps'), apps, log: quiet() }));

describe('mysql app store', () => {
  test('a second store sees a put after its refresh; seeds never overwrite; migrations run once', async () => {
    const url = await freshMysqlDatabase('apps');
    const one = await createMysqlAppStore({ url, seed: [appA], log: quiet() });
    const two = await createMysqlAppStore({ url, seed: [{ ...appA, name: 'ignored' }], refreshMs: 50, log: quiet() });
    try {
      assert.equal((await two.get('app-a'))?.name, 'A');
      await one.put(appB);
      assert.equal(await two.get('app-b'), undefined, 'answers from its cache');
      const deadline = Date.now() + 3000;
      while (!(await two.get('app-b')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(norm(await two.byApiKey('key-b1-0123456789')), norm(appB));
      const conn = await createConnection(url);
      try {
        const [rows] = await conn.query("SELECT version FROM schema_migrations WHERE component = 'apps'");
        assert.equal((rows as unknown[]).length, appMigrations.length);
      } finally {
        await conn.end();
      }
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  test('ids are case-sensitive; a bad put is refused with a clear error; a bad row is skipped', async () => {
    const url = await freshMysqlDatabase('apps');
    const lines: { msg: string; fields?: LogFields }[] = [];
    const s = await createMysqlAppStore({ url, seed: [appA], refreshMs: 50, log: quiet(lines) });
    try {
      await s.put({ ...appB, id: 'APP-A' });
      assert.equal((await s.get('app-a'))?.name, 'A');
      assert.equal((await s.get('APP-A'))?.name, 'B');
      await assert.rejects(s.put({ ...appB, id: 'bad id' }), /apps.put: .*id/);
      await assert.rejects(s.put({ ...appB, apiKeys: [] }), /apiKeys/);
      const conn = await createConnection(url);
      try {
        await conn.query("INSERT INTO apps (id, name, secret, api_keys, single_login, created_at, updated_at) VALUES ('broken', 'x', 'secret-0123456789', 'not json', 0, 0, 0)");
      } finally {
        await conn.end();
      }
      const deadline = Date.now() + 3000;
      while (!lines.some((l) => l.fields?.app === 'broken') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(lines.some((l) => l.msg === 'skipping a bad row of the apps table' && l.fields?.app === 'broken'));
      assert.equal(await s.get('broken'), undefined);
      assert.equal((await s.get('app-a'))?.name, 'A');
    } finally {
      await s.close();
    }
  });

  test('routes and statusUrl survive a restart; clearing them sticks', async () => {
    const url = await freshMysqlDatabase('apps');
    const withRoutes = { ...appA, routes: { chat: 'https://example.test/chat', 'geo.v1': 'http://127.0.0.1:9/geo' }, statusUrl: 'https://example.test/status' };
    const one = await createMysqlAppStore({ url, seed: [withRoutes], log: quiet() });
    await one.close();
    const two = await createMysqlAppStore({ url, log: quiet() });
    try {
      assert.deepEqual(norm(await two.get('app-a')), norm(withRoutes));
      await two.put(appA);
    } finally {
      await two.close();
    }
    const three = await createMysqlAppStore({ url, log: quiet() });
    try {
      const got = await three.get('app-a');
      assert.equal(got?.routes, undefined);
      assert.equal(got?.statusUrl, undefined);
    } finally {
      await three.close();
    }
  });

  test('createAppStore refuses an unknown driver, a missing URL and a bad URL', async () => {
    await assert.rejects(createAppStore({ driver: 'redis' as never }), /unknown driver "redis"/);
    await assert.rejects(createAppStore({ driver: 'mysql' }), /needs a mysqlUrl/);
    await assert.rejects(createAppStore({ driver: 'mysql', mysqlUrl: 'http://x/y' }), /apps.mysqlUrl: protocol/);
  });
});
