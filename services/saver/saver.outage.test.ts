import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { loadConfig } from '../../shared/config/config';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { testMysqlUrl, testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { freshMysqlDatabase } from '../../shared/testing/mysql-test-db';
import { saverSchema } from './config';
import { createSaver } from './saver';
import { makeMessage } from './saver.contract';

/** A TCP forwarder we can cut, to make a real server "go away" for the saver only. */
async function proxy(target: string): Promise<{ port: number; cut(): Promise<void> }> {
  const u = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(Number(u.port), u.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}

test('MySQL going away: store and ack reject with a clear error, no hang, stop still works', async () => {
  const db = new URL(await freshMysqlDatabase('saver')).pathname;
  const p = await proxy(testMysqlUrl());
  const config = loadConfig('saver', saverSchema, {
    driver: 'redis', redisUrl: testRedisUrl(), mysqlUrl: `mysql://root@127.0.0.1:${p.port}${db}`, prefix: uniquePrefix('saver'), opTimeoutMs: 1500, cleanupIntervalMs: 0,
  }, {});
  const saver = createSaver(config, { log: createLogger({}, 'error'), metrics: createRegistry() });
  await saver.start();
  const m = makeMessage('app1');
  await saver.store(m, [{ app: 'app1', device: 'd' }]);
  await p.cut();
  const t0 = Date.now();
  await assert.rejects(saver.store(makeMessage('app1'), [{ app: 'app1', device: 'd' }]), /saver: MySQL store failed/);
  await assert.rejects(saver.ack([{ app: 'app1', device: 'd', id: m.id }]), /saver: MySQL ack failed/);
  assert.ok(Date.now() - t0 < 5000, 'bounded');
  assert.equal((await saver.pending('app1', 'd')).length, 0, 'Redis still answers reads');
  await saver.stop();
});

test('Redis going away: calls reject with a clear error within the timeout', async () => {
  const p = await proxy(testRedisUrl());
  const config = loadConfig('saver', saverSchema, {
    driver: 'redis', redisUrl: `redis://127.0.0.1:${p.port}`, mysqlUrl: await freshMysqlDatabase('saver'), prefix: uniquePrefix('saver'), opTimeoutMs: 1000, cleanupIntervalMs: 0,
  }, {});
  const saver = createSaver(config, { log: createLogger({}, 'error'), metrics: createRegistry() });
  await saver.start();
  await p.cut();
  const t0 = Date.now();
  await assert.rejects(saver.pending('app1', 'd'), /saver: Redis pending/);
  await assert.rejects(saver.store(makeMessage('app1'), [{ app: 'app1', device: 'd' }]), /saver: Redis store/);
  assert.ok(Date.now() - t0 < 5000, 'bounded');
  await saver.stop();
});

test('Redis unreachable at start: start fails naming saver.redisUrl', async () => {
  const config = loadConfig('saver', saverSchema, {
    driver: 'redis', redisUrl: 'redis://127.0.0.1:1', mysqlUrl: await freshMysqlDatabase('saver'), prefix: uniquePrefix('saver'), opTimeoutMs: 1000,
  }, {});
  const saver = createSaver(config, { log: createLogger({}, 'error'), metrics: createRegistry() });
  await assert.rejects(saver.start(), /saver\.redisUrl: cannot connect/);
  await saver.stop();
});
