import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { freshMysqlDatabase } from '../../shared/testing/mysql-test-db';
import type { StandaloneOptions } from './config';
import { describeEndToEnd } from './e2e.contract';
import { connectDevice, mintToken, push, sleep, startHerald, waitFor } from './e2e-kit';

async function redisOptions(): Promise<StandaloneOptions> {
  return { standalone: { driver: 'redis', redisUrl: testRedisUrl(), mysqlUrl: await freshMysqlDatabase('e2e'), prefix: uniquePrefix('e2e') } };
}

describeEndToEnd('Redis + MySQL drivers', redisOptions);

describe('restart on Redis + MySQL', () => {
  test('a restart of the process keeps every unacked message', async () => {
    const opts = await redisOptions();
    let h = await startHerald(opts);
    const token = await mintToken(h, 'restart-a');
    const seen = await connectDevice(h, token, { autoAck: false });
    const delivered = await push(h, { devices: ['restart-a'] }, 'delivered, not acked');
    await waitFor('the first delivery', () => seen.pushes.find((m) => m.id === delivered));
    seen.client.close();
    const offline = [];
    for (let i = 0; i < 20; i++) offline.push(await push(h, { devices: ['restart-a'] }, `offline ${i}`));
    await h.stop();

    h = await startHerald(opts);
    try {
      const dev = await connectDevice(h, await mintToken(h, 'restart-a'));
      const want = [delivered, ...offline];
      await waitFor('every unacked message after the restart', () => want.every((id) => dev.pushes.some((m) => m.id === id)), 10_000);
      assert.equal(dev.pushes.length, want.length);
      await sleep(300);
      assert.deepEqual(await h.saver().pending('demo', 'restart-a'), []);
      dev.client.close();
    } finally {
      await h.stop();
    }
  });

  test('the apps live in MySQL: an app created through the admin API survives a restart', async () => {
    const opts = await redisOptions();
    const withAdmin = { ...opts, center: { adminToken: 'e2e-admin-token-0123456789' } };
    let h = await startHerald(withAdmin);
    const created = await fetch(`${h.center().url()}/v1/admin/apps`, {
      method: 'POST',
      headers: { authorization: 'Bearer e2e-admin-token-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'second', name: 'Second app' }),
    });
    assert.equal(created.status, 201);
    await h.stop();
    h = await startHerald(withAdmin);
    try {
      const app = await h.apps().get('second');
      assert.equal(app?.name, 'Second app');
      const id = await push(h, { devices: ['x'] }, 'demo app still works');
      assert.ok(id);
    } finally {
      await h.stop();
    }
  });
});
