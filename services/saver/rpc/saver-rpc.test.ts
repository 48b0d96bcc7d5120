import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../../shared/config/config';
import type { Message, SaverService } from '../../../shared/contracts/saver';
import type { Service } from '../../../shared/lifecycle/lifecycle';
import { createLogger } from '../../../shared/log/log';
import { createRegistry } from '../../../shared/metrics/metrics';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import { createRpcServer } from '../../../shared/rpc/grpc-server';
import { countedHandlers } from '../../../shared/testing/counted-handlers';
import { RpcCode, RpcError, type RpcServer } from '../../../shared/rpc/rpc';
import { saverSchema } from '../config';
import { createSaver } from '../saver';
import { describeSaver, makeMessage } from '../saver.contract';
import { describeSaverLogs, makeLogMessage } from '../saver-log.contract';
import { saverRpcHandlers } from './saver-rpc-server';
import { createSaverClient } from './saver-rpc-client';
import { SaverRpc } from './saver-rpc-map';

const log = createLogger({}, 'error');

function memorySaver(over: { maxAttempts?: number } = {}): SaverService & Service {
  return createSaver(loadConfig('saver', saverSchema, { driver: 'memory', cleanupIntervalMs: 0, ...over }, {}), { log, metrics: createRegistry() });
}

/** A memory saver behind an RPC server on a free port. */
async function servedSaver(over: { maxAttempts?: number } = {}): Promise<{ saver: SaverService & Service; server: RpcServer; address: string }> {
  const saver = memorySaver(over);
  await saver.start();
  const server = createRpcServer({ host: '127.0.0.1', port: 0, log, graceMs: 500 });
  server.add(SaverRpc, saverRpcHandlers(saver));
  const port = await server.start();
  return { saver, server, address: `127.0.0.1:${port}` };
}

/** The RPC client as a SaverFactory: its stop() closes the client, then the server and the saver. */
async function rpcSaver(over: { maxAttempts: number }): Promise<SaverService & Service> {
  const { saver, server, address } = await servedSaver(over);
  const client = createSaverClient({ addresses: [address] }, log);
  return {
    ...client,
    start: async () => undefined,
    stop: async () => {
      client.close();
      await server.stop();
      await saver.stop();
    },
  };
}

describeSaver('rpc client -> rpc server -> memory', rpcSaver);
describeSaverLogs('rpc client -> rpc server -> memory', rpcSaver);

describe('saver rpc: the wire', () => {
  let served: Awaited<ReturnType<typeof servedSaver>>;
  let client: ReturnType<typeof createSaverClient>;
  before(async () => {
    served = await servedSaver({ maxAttempts: 3 });
    client = createSaverClient({ addresses: [served.address] }, log);
  });
  after(async () => {
    client.close();
    await served.server.stop();
    await served.saver.stop();
  });

  test('results deep-equal the in-process ones (Buffer payloads, absent topic stays absent)', async () => {
    const local = memorySaver();
    await local.start();
    try {
      const app = 'parity';
      const plain: Message = { ...makeMessage(app), payload: Buffer.from([0, 1, 255]) };
      const topical: Message = { ...makeLogMessage(app, 'news'), payload: Buffer.alloc(0) };
      const bcast: Message = { ...makeLogMessage(app, ''), payload: Buffer.from('b') };
      for (const s of [local, client]) {
        await s.store(plain, [{ app, device: 'd' }]);
        await s.appendLog(topical);
        await s.appendLog(bcast);
      }
      const remotePending = await client.pending(app, 'd');
      assert.deepEqual(remotePending, await local.pending(app, 'd'));
      assert.equal('topic' in remotePending[0], false, 'no topic key when the message has none');
      assert.ok(remotePending[0].payload instanceof Uint8Array);
      const remoteLog = await client.logSince(app, 'd', ['', 'news']);
      assert.deepEqual(remoteLog, await local.logSince(app, 'd', ['', 'news']));
      assert.equal(remoteLog[1].message.topic, 'news');
      assert.equal(remoteLog[1].message.payload.length, 0);
      assert.deepEqual(await client.status(app, plain.id), await local.status(app, plain.id));
      assert.deepEqual(await client.status(app, topical.id), await local.status(app, topical.id));
      assert.equal(await client.status(app, 'nope'), undefined);
      assert.deepEqual(await client.deadLetters(app), []);
      assert.deepEqual(await client.attempt([]), []);
    } finally {
      await local.stop();
    }
  });

  test('a validation error crosses the wire as INVALID_ARGUMENT with the saver message', async () => {
    const raw = createRpcClient(SaverRpc, { addresses: [served.address] }, log);
    try {
      await assert.rejects(raw.call('pending', { app: 'a', device: '' }), (err: unknown) => {
        assert.ok(err instanceof RpcError);
        assert.equal(err.code, RpcCode.InvalidArgument);
        assert.match(err.message, /^saver\.pending via 127\.0\.0\.1:\d+: INVALID_ARGUMENT: saver: device must be a string/);
        return true;
      });
      await assert.rejects(raw.call('store', { targets: [] }), /INVALID_ARGUMENT: saver: message must be an object/);
      await assert.rejects(
        raw.call('appendLog', { message: { ...makeMessage('a'), kind: 'topic' } }),
        /INVALID_ARGUMENT: saver: a topic message needs message.topic/,
        'an absent topic arrives absent, not as empty',
      );
      await assert.rejects(raw.call('store', { message: { ...makeMessage('a'), kind: 'nope' }, targets: [] }), /INVALID_ARGUMENT: saver: message.kind/);
      assert.deepEqual(await raw.call('markCancelled', { app: 'a', id: 'x' }), { cancelled: false }, 'the server still answers');
    } finally {
      raw.close();
    }
  });

  test('an unreachable saver fails with an error naming the call and address', async () => {
    const dead = createSaverClient({ addresses: ['127.0.0.1:1'], deadlineMs: 1000, attempts: 2 }, log);
    try {
      await assert.rejects(dead.status('a', 'x'), /saver\.status via 127\.0\.0\.1:1: UNAVAILABLE/);
      await assert.rejects(dead.store(makeMessage('a'), []), /saver\.store via 127\.0\.0\.1:1: UNAVAILABLE/);
    } finally {
      dead.close();
    }
  });
});

/** A memory saver served with its handlers wrapped to count calls per method; `without` leaves methods out. */
async function countedSaver(without: string[] = []): Promise<{ saver: SaverService & Service; server: RpcServer; address: string; calls: Map<string, number> }> {
  const saver = memorySaver();
  await saver.start();
  const { handlers, calls } = countedHandlers(saverRpcHandlers(saver), without);
  const server = createRpcServer({ host: '127.0.0.1', port: 0, log, graceMs: 500 });
  server.add(SaverRpc, handlers);
  const port = await server.start();
  return { saver, server, address: `127.0.0.1:${port}`, calls };
}

describe('saver rpc: the reads of one turn go in one call', () => {
  const app = 'batch';
  const devices = Array.from({ length: 40 }, (_v, i) => `d${i}`);

  async function storeOnePerDevice(saver: SaverService): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const device of devices) {
      const m = makeMessage(app);
      await saver.store(m, [{ app, device }]);
      ids.set(device, m.id);
    }
    await saver.appendLog(makeLogMessage(app, ''));
    return ids;
  }

  for (const without of [[], ['pendingMany', 'logSinceMany']]) {
    const what = without.length === 0 ? 'pendingMany and logSinceMany' : 'a saver without the Many methods (older build): one call each';
    test(`40 devices read at once: each gets its own messages (${what})`, async () => {
      const s = await countedSaver(without);
      const client = createSaverClient({ addresses: [s.address] }, log);
      try {
        const ids = await storeOnePerDevice(s.saver);
        const [lists, logs] = await Promise.all([
          Promise.all(devices.map((d) => client.pending(app, d))),
          Promise.all(devices.map((d) => client.logSince(app, d, ['']))),
        ]);
        devices.forEach((d, i) => {
          assert.deepEqual(lists[i].map((m) => m.id), [ids.get(d)], d);
          assert.equal(logs[i].length, 1, d);
        });
        if (without.length === 0) {
          assert.equal(s.calls.get('pendingMany'), 1);
          assert.equal(s.calls.get('logSinceMany'), 1);
          assert.equal(s.calls.get('pending'), undefined);
        } else {
          // The first batch learns the peer lacks it; every read is then a single call.
          assert.equal(s.calls.get('pending'), devices.length);
          assert.equal(s.calls.get('logSince'), devices.length);
        }
      } finally {
        client.close();
        await s.server.stop();
        await s.saver.stop();
      }
    });
  }

  test('the server refuses more than 256 requests or a bad one; the client refuses a bad read before it joins a batch', async () => {
    const s = await countedSaver();
    const raw = createRpcClient(SaverRpc, { addresses: [s.address] }, log);
    const client = createSaverClient({ addresses: [s.address] }, log);
    try {
      const requests = Array.from({ length: 257 }, (_v, i) => ({ app, device: `d${i}` }));
      await assert.rejects(raw.call('pendingMany', { requests }), /INVALID_ARGUMENT: pendingMany: at most 256 requests per call \(got 257\)/);
      await assert.rejects(raw.call('pendingMany', { requests: [{ app, device: 'a' }, { app, device: '' }] }), /INVALID_ARGUMENT: saver: device must be a string/);
      const ids = await storeOnePerDevice(s.saver);
      const results = await Promise.allSettled([client.pending(app, 'd1'), client.pending(app, '\u0000'.repeat(300)), client.pending(app, 'd2')]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[1].status, 'rejected');
      assert.deepEqual(results[2].status === 'fulfilled' && results[2].value.map((m) => m.id), [ids.get('d2')]);
    } finally {
      raw.close();
      client.close();
      await s.server.stop();
      await s.saver.stop();
    }
  });
});
