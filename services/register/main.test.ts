import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { createLogger } from '../../shared/log/log';
import { createRpcClient } from '../../shared/rpc/grpc-client';
import { createRegisterClient } from './rpc/register-rpc-client';

const HEALTH = { name: 'grpc.health.v1.Health', file: 'health.proto' };

test('register main.ts serves RPC and /healthz, and exits 0 on SIGTERM', async () => {
  // Runs the same form as this test: main.ts through tsx, or dist/.../main.js after a build.
  const fromSource = __filename.endsWith('.ts');
  const main = join(__dirname, fromSource ? 'main.ts' : 'main.js');
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), main], {
    env: {
      ...process.env,
      HERALD_REGISTER_DRIVER: 'memory',
      HERALD_REGISTER_RPC_HOST: '127.0.0.1',
      HERALD_REGISTER_RPC_PORT: '0',
      HERALD_REGISTER_HTTP_HOST: '127.0.0.1',
      HERALD_REGISTER_HTTP_PORT: '0',
      HERALD_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const log = createLogger({}, 'error');
  try {
    let rpcPort = 0;
    let httpPort = 0;
    for await (const line of createInterface({ input: child.stdout! })) {
      const rec = JSON.parse(line) as { msg: string; rpcPort?: number; httpPort?: number };
      if (rec.msg === 'register ready') {
        rpcPort = rec.rpcPort ?? 0;
        httpPort = rec.httpPort ?? 0;
        break;
      }
    }
    assert.ok(rpcPort > 0 && httpPort > 0 && rpcPort !== httpPort, `ready line with both ports (${rpcPort}, ${httpPort})`);
    const address = `127.0.0.1:${rpcPort}`;
    const client = createRegisterClient({ addresses: [address] }, log);
    const health = createRpcClient(HEALTH, { addresses: [address] }, log);
    try {
      const epoch = await client.epoch();
      assert.match(epoch, /\S/);
      await client.register([{ app: 'a', device: 'd', roomId: 'r', connId: 'c', since: 1 }]);
      assert.deepEqual(await client.listRoom('r'), [{ app: 'a', device: 'd', roomId: 'r', connId: 'c', since: 1 }]);
      assert.equal(await client.epoch(), epoch, 'same store, same epoch');
      assert.deepEqual(await health.call('check', { service: 'herald.v1.Register' }), { status: 'SERVING' });
    } finally {
      client.close();
      health.close();
    }
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    assert.match(metrics, /herald_register_ops_total\{op="epoch",result="ok"\} 2/);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
