import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../shared/config/config';
import { createLogger } from '../../../shared/log/log';
import { createRegistry, type Registry } from '../../../shared/metrics/metrics';
import { saverSchema, type SaverConfig } from '../config';
import { redisConfig } from '../saver-test-kit';
import { describeSaverLogs } from '../saver-log.contract';
import { describeSaver, makeMessage } from '../saver.contract';
import { SaverInputError } from '../validate';
import { createSaverThread } from './saver-thread';

const memoryConfig = (over: Partial<SaverConfig> = {}): SaverConfig => loadConfig('saver', saverSchema, { driver: 'memory', cleanupIntervalMs: 0, ...over }, {});

async function startedThread(config: SaverConfig, metrics: Registry = createRegistry()): Promise<ReturnType<typeof createSaverThread>> {
  const saver = createSaverThread(config, { log: createLogger({}, 'error'), metrics });
  await saver.start();
  return saver;
}

// The same contracts as the in-process saver's: the thread changes where it runs, not what it does.
describeSaver('thread, memory', (over) => startedThread(memoryConfig(over)));
describeSaverLogs('thread, memory', (over) => startedThread(memoryConfig(over)));
describeSaver('thread, redis + mysql', async (over) => startedThread(await redisConfig(over)));
describeSaverLogs('thread, redis + mysql', async (over) => startedThread(await redisConfig(over)));

describe('saver thread', () => {
  test('bad input comes back as a SaverInputError; payloads come back as Buffers', async () => {
    const saver = await startedThread(memoryConfig());
    try {
      await assert.rejects(saver.pending('app1', ''), (err: Error) => err instanceof SaverInputError && /device/.test(err.message));
      const m = makeMessage('app1');
      await saver.store(m, [{ app: 'app1', device: 'd1' }]);
      const [got] = await saver.pending('app1', 'd1');
      assert.ok(Buffer.isBuffer(got.payload));
      assert.deepEqual([...got.payload], [...m.payload]);
    } finally {
      await saver.stop();
    }
  });

  test("calls of one turn are answered together, and the worker's metrics appear in the main registry", async () => {
    const metrics = createRegistry();
    const saver = await startedThread(memoryConfig(), metrics);
    try {
      const messages = Array.from({ length: 50 }, () => makeMessage('app1'));
      await Promise.all(messages.map((m) => saver.store(m, [{ app: 'app1', device: 'd2' }])));
      assert.equal((await saver.pending('app1', 'd2', 100)).length, 50);
      const text = await metrics.metrics();
      assert.match(text, /herald_saver_stored_total\{qos="1"\} 50/);
      assert.match(text, /herald_saver_op_seconds_count\{op="store"\} 50/);
    } finally {
      await saver.stop();
    }
  });

  test('stop answers the calls already made, then calls fail clearly', async () => {
    const saver = await startedThread(memoryConfig());
    const m = makeMessage('app1');
    const stored = saver.store(m, [{ app: 'app1', device: 'd3' }]);
    await saver.stop();
    await stored;
    await saver.stop();
    await assert.rejects(saver.pending('app1', 'd3'), /saver thread is stopp/);
  });

  test('a start that fails (MySQL unreachable) rejects with the reason', async () => {
    const config = await redisConfig({ mysqlUrl: 'mysql://root@127.0.0.1:1/none', opTimeoutMs: 500 });
    const saver = createSaverThread(config, { log: createLogger({}, 'error'), metrics: createRegistry() });
    await assert.rejects(saver.start(), /saver\.mysqlUrl/);
    await assert.rejects(saver.pending('app1', 'd1'), /saver thread/);
    await saver.stop();
  });

  test('a worker that dies fails the calls it had, and a new one takes over', async () => {
    // A worker that throws on its first batch of calls (once: the marker file says it did).
    const dir = mkdtempSync(join(tmpdir(), 'saver-thread-'));
    const file = join(dir, 'crashing-worker.js');
    const marker = join(dir, 'crashed');
    writeFileSync(file, [
      "const { parentPort } = require('node:worker_threads');",
      "const fs = require('node:fs');",
      `if (!fs.existsSync(${JSON.stringify(marker)})) parentPort.on('message', (m) => { if ('calls' in m) { fs.writeFileSync(${JSON.stringify(marker)}, ''); throw new Error('boom'); } });`,
      `require(${JSON.stringify(join(__dirname, 'saver-worker.js'))});`,
    ].join('\n'));
    const saver = createSaverThread(memoryConfig(), { log: createLogger({}, 'error'), metrics: createRegistry() }, file);
    await saver.start();
    try {
      await assert.rejects(saver.pending('app1', 'd4'), /saver thread (is )?restarting/);
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await saver.store(makeMessage('app1'), [{ app: 'app1', device: 'd4' }]);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.equal((await saver.pending('app1', 'd4')).length, 1);
    } finally {
      await saver.stop();
    }
  });
});
