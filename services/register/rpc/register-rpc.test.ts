import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionStore } from '../../../shared/contracts/register';
import { createLogger } from '../../../shared/log/log';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import { createRpcServer } from '../../../shared/rpc/grpc-server';
import { countedHandlers } from '../../../shared/testing/counted-handlers';
import { RpcCode, RpcError, type RpcServer } from '../../../shared/rpc/rpc';
import { createMemorySessionStore } from '../store/memory-session-store';
import { describeSessionStore, type SessionStoreFactoryOptions } from '../store/session-store.contract';
import { describeTagIndex } from '../store/tag-index.contract';
import { InvalidSessionError } from '../store/validate';
import { createRegisterClient } from './register-rpc-client';
import { registerRpcHandlers } from './register-rpc-server';
import { REGISTER_RPC } from './register-wire';

const log = createLogger({ test: 'register-rpc' }, 'error');

interface Served {
  store: SessionStore;
  server: RpcServer;
}

/** A memory store behind an RPC server on a free port. */
async function serve(opts?: SessionStoreFactoryOptions): Promise<Served> {
  const store = createMemorySessionStore(opts);
  const server = createRpcServer({ host: '127.0.0.1', port: 0, log, graceMs: 1000 });
  server.add(REGISTER_RPC, registerRpcHandlers(store));
  await server.start();
  return { store, server };
}

/** The RPC client of a fresh served store, as a SessionStore whose close() also stops the server. */
async function rpcStore(opts?: SessionStoreFactoryOptions): Promise<SessionStore> {
  const { store, server } = await serve(opts);
  const client = createRegisterClient({ addresses: [server.address()], deadlineMs: 2000 }, log);
  return {
    ...client,
    close: async () => {
      client.close();
      await server.stop();
      await store.close();
    },
  };
}

describeSessionStore('rpc over memory', rpcStore, async (old) => {
  await old.close();
  return rpcStore();
});
describeTagIndex('rpc over memory', () => rpcStore());

describe('register over RPC: errors', () => {
  async function withServed(fn: (s: Served, address: string) => Promise<void>): Promise<void> {
    const served = await serve();
    try {
      await fn(served, served.server.address());
    } finally {
      await served.server.stop();
      await served.store.close();
    }
  }

  test('a refusal by the register arrives as an InvalidSessionError naming the call and the rule', () =>
    withServed(async (_s, address) => {
      const client = createRegisterClient({ addresses: [address] }, log);
      try {
        const topics = Array.from({ length: 200 }, (_, i) => `a${i}`);
        await client.subscribe('app1', 'd1', topics);
        // Each call alone is valid; only the register knows the device would pass its limit.
        await assert.rejects(client.subscribe('app1', 'd1', topics.map((t) => `b${t}`)), (err: unknown) => {
          assert.ok(err instanceof InvalidSessionError, String(err));
          assert.equal(err.code, 'invalid_session');
          assert.match(err.message, new RegExp(`^register\\.subscribe via ${address}: INVALID_ARGUMENT: subscribe: a device may have at most 256 subscriptions`));
          return true;
        });
        assert.equal((await client.subscriptions('app1', 'd1')).length, 200, 'nothing stored');
      } finally {
        client.close();
      }
    }));

  test('the server refuses bad requests from any client with INVALID_ARGUMENT and keeps serving', () =>
    withServed(async (_s, address) => {
      const raw = createRpcClient(REGISTER_RPC, { addresses: [address] }, log);
      try {
        const bad = { app: 'app1', device: 'd1', roomId: '', connId: 'c1', since: 1 };
        await assert.rejects(raw.call('register', { sessions: [bad] }), (err: unknown) =>
          err instanceof RpcError && err.code === RpcCode.InvalidArgument && /sessions\[0\]\.roomId/.test(err.message));
        await assert.rejects(raw.call('devicesByTags', { app: 'app1', tags: ['a'], cursor: '', count: 5 }), (err: unknown) =>
          err instanceof RpcError && err.code === RpcCode.InvalidArgument && /mode must be/.test(err.message));
        assert.equal(typeof (await raw.call<{ epoch: string }>('epoch', {})).epoch, 'string');
      } finally {
        raw.close();
      }
    }));

  test('a register that is down fails fast with UNAVAILABLE, after retrying idempotent calls', async () => {
    const { server, store } = await serve();
    const address = server.address();
    await server.stop();
    await store.close();
    const client = createRegisterClient({ addresses: [address], deadlineMs: 1000 }, log);
    try {
      await assert.rejects(client.epoch(), new RegExp(`^RpcError: register\\.epoch via ${address}: UNAVAILABLE`));
      await assert.rejects(client.register([]), (err: unknown) => err instanceof RpcError && err.code === RpcCode.Unavailable);
    } finally {
      client.close();
    }
  });

  test('the client checks types the wire cannot carry before sending', async () => {
    const client = createRegisterClient({ addresses: ['127.0.0.1:1'] }, log);
    try {
      await assert.rejects(client.lookupDevices('app1', [42 as never]), InvalidSessionError);
      await assert.rejects(client.devicesByTags('app1', ['a'], 'or', '', 1.5), /count/);
      await assert.rejects(client.subscribers('app1', 'news', 7 as never, 5), /cursor/);
    } finally {
      client.close();
    }
  });
});

describe('register over RPC: the subscriptions reads of one turn go in one call', () => {
  for (const withMany of [true, false]) {
    test(`30 devices read at once, each gets its own topics (${withMany ? 'subscriptionsMany' : 'a register without it: one call each'})`, async () => {
      const store = createMemorySessionStore();
      const { handlers, calls } = countedHandlers(registerRpcHandlers(store), withMany ? [] : ['subscriptionsMany']);
      const server = createRpcServer({ host: '127.0.0.1', port: 0, log, graceMs: 1000 });
      server.add(REGISTER_RPC, handlers);
      await server.start();
      const client = createRegisterClient({ addresses: [server.address()], deadlineMs: 2000 }, log);
      try {
        const devices = Array.from({ length: 30 }, (_v, i) => `d${i}`);
        for (const d of devices) await store.subscribe('app', d, [`t-${d}`]);
        const lists = await Promise.all(devices.map((d) => client.subscriptions('app', d)));
        assert.deepEqual(lists, devices.map((d) => [`t-${d}`]));
        assert.equal(calls.get('subscriptionsMany'), withMany ? 1 : undefined);
        assert.equal(calls.get('subscriptions'), withMany ? undefined : devices.length);
        await assert.rejects(client.subscriptions('app', ''), InvalidSessionError, 'checked before it joins a batch');
      } finally {
        client.close();
        await server.stop();
        await store.close();
      }
    });
  }
});

