import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { createLogger } from '../../shared/log/log';
import { loadConfig } from '../../shared/config/config';
import { createRegistry } from '../../shared/metrics/metrics';
import { saverSchema } from './config';
import { createSaverClient } from './rpc/saver-rpc-client';
import { createSaver } from './saver';

test('saver start/stop in process: stop is safe twice and the timer does not hold the process', async () => {
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory', cleanupIntervalMs: 10 }, {}), {
    log: createLogger({}, 'error'),
    metrics: createRegistry(),
  });
  await saver.start();
  await saver.store({ id: 'x', app: 'a', kind: 'unicast', payload: new Uint8Array([1]), created: 1, expires: Date.now() + 30, qos: 1 }, [{ app: 'a', device: 'd' }]);
  assert.equal((await saver.pending('a', 'd')).length, 1);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal((await saver.status('a', 'x'))?.state, 'expired');
  await Promise.all([saver.stop(), saver.stop()]);
  await saver.stop();
});

test('saver main.ts serves /healthz and RPC, and exits 0 on SIGTERM', async () => {
  // Runs the same form as this test: main.ts through tsx, or dist/.../main.js after a build.
  const fromSource = __filename.endsWith('.ts');
  const main = join(__dirname, fromSource ? 'main.ts' : 'main.js');
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), main], {
    env: { ...process.env, HERALD_SAVER_DRIVER: 'memory', HERALD_SAVER_PORT: '0', HERALD_SAVER_HOST: '127.0.0.1', HERALD_SAVER_RPC_PORT: '0', HERALD_SAVER_RPC_HOST: '127.0.0.1', HERALD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let port = 0;
    let rpcPort = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      const rec = JSON.parse(line) as { msg: string; port?: number; rpcPort?: number };
      if (rec.msg === 'saver ready') {
        port = rec.port ?? 0;
        rpcPort = rec.rpcPort ?? 0;
        break;
      }
    }
    assert.ok(port > 0, 'ready line with a port');
    assert.ok(rpcPort > 0 && rpcPort !== port, 'ready line with the rpc port');
    const client = createSaverClient({ addresses: [`127.0.0.1:${rpcPort}`] }, createLogger({}, 'error'));
    try {
      assert.equal(await client.status('a', 'x'), undefined);
      const m = { id: 'x', app: 'a', kind: 'unicast' as const, payload: new Uint8Array([7]), created: 1, expires: Date.now() + 60_000, qos: 1 as const };
      await client.store(m, [{ app: 'a', device: 'd' }]);
      assert.deepEqual([(await client.status('a', 'x'))?.state, (await client.status('a', 'x'))?.targets], ['pending', 1]);
    } finally {
      client.close();
    }
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
