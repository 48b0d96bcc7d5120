import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createLogger } from '../log/log';
import { createRpcClient } from './grpc-client';
import { freePort } from '../testing/test-services';
import { createRpcServer } from './grpc-server';
import { RpcCode, RpcError, type RpcClient, type RpcServer, type RpcServiceDef, type UnaryHandler } from './rpc';

const ECHO: RpcServiceDef = { name: 'herald.v1.EchoTest', file: 'echo_test.proto' };
const HEALTH: RpcServiceDef = { name: 'grpc.health.v1.Health', file: 'health.proto' };
const log = createLogger({ test: 'rpc' }, 'error');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface EchoReply {
  text: string;
  atMs: number;
  data: Buffer;
  tags: string[];
  server: string;
}

function echoHandlers(server: () => string): Record<string, UnaryHandler> {
  const echo: UnaryHandler = async (req) => {
    if (req.delayMs) await sleep(req.delayMs as number);
    if (req.failCode === 99) throw new Error('plain failure');
    if (req.failCode === 98) return { tags: 'not a list' };
    if (req.failCode) throw new RpcError(req.failCode as number, `failing with ${String(req.failCode)}`);
    return { text: req.text, atMs: req.atMs, data: req.data, tags: req.tags, server: server() };
  };
  return { echo, append: echo };
}

async function startEcho(port = 0): Promise<RpcServer> {
  const s = createRpcServer({ host: '127.0.0.1', port, log, graceMs: 2000 });
  s.add(ECHO, echoHandlers(() => s.address()));
  await s.start();
  return s;
}

/** An address where nothing listens: a server's port, freed again. */
async function deadAddress(): Promise<string> {
  const s = createRpcServer({ host: '127.0.0.1', port: 0, log });
  await s.start();
  const address = s.address();
  await s.stop();
  return address;
}

async function rejects(p: Promise<unknown>, code: number, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof RpcError, `an RpcError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe('rpc over gRPC', () => {
  let a: RpcServer;
  let b: RpcServer;
  let dead: string;
  const clients: RpcClient[] = [];
  const client = (addresses: string[], idempotent: string[] = [], def = ECHO): RpcClient => {
    const c = createRpcClient(def, { addresses, idempotent, deadlineMs: 2000 }, log);
    clients.push(c);
    return c;
  };

  before(async () => {
    [a, b, dead] = await Promise.all([startEcho(), startEcho(), deadAddress()]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a round trip keeps strings, 64-bit numbers, bytes and lists', async () => {
    const c = client([a.address()]);
    const data = Buffer.from([0, 1, 2, 255]);
    const got = await c.call<EchoReply>('echo', { text: 'héllo', atMs: 1_700_000_000_123, data, tags: ['x', 'y'] });
    assert.deepEqual(got, { text: 'héllo', atMs: 1_700_000_000_123, data, tags: ['x', 'y'], server: a.address() });
    const empty = await c.call<EchoReply>('echo', {});
    assert.deepEqual(empty, { text: '', atMs: 0, data: Buffer.alloc(0), tags: [], server: a.address() }, 'defaults filled');
  });

  test('calls spread round-robin over the addresses', async () => {
    const c = client([a.address(), b.address()], ['echo']);
    const servers = [];
    for (let i = 0; i < 4; i++) servers.push((await c.call<EchoReply>('echo', {})).server);
    assert.deepEqual(servers, [a.address(), b.address(), a.address(), b.address()]);
  });

  test('a call past its deadline fails with DEADLINE_EXCEEDED naming the call and address', async () => {
    const c = client([a.address()]);
    await rejects(c.call('echo', { delayMs: 500 }, 100), RpcCode.DeadlineExceeded, new RegExp(`^echoTest\\.echo via ${a.address()}: DEADLINE_EXCEEDED`));
  });

  test('an idempotent method is retried on the next address when the first is down', async () => {
    const c = client([dead, b.address()], ['echo']);
    const got = await c.call<EchoReply>('echo', { text: 'again' });
    assert.equal(got.server, b.address());
    assert.equal(got.text, 'again');
    // The dead address is now skipped: the following calls go straight to b.
    assert.equal((await c.call<EchoReply>('append', {})).server, b.address());
  });

  test('a non-idempotent method is sent again only when it never left (no connection), never once a server had it', async () => {
    const c = client([dead, b.address()], ['echo']);
    assert.equal((await c.call<EchoReply>('append', { text: 'once' })).server, b.address(), 'unsent at the dead address: sent to b');
    const one = client([a.address()], ['echo']);
    await rejects(one.call('append', { failCode: RpcCode.Unavailable }), RpcCode.Unavailable, /UNAVAILABLE: failing with 14$/);
  });

  test('a call made while the channel is in its reconnect backoff waits for the restarted peer', async () => {
    const port = await freePort();
    const s1 = await startEcho(port);
    const c = client([`127.0.0.1:${port}`], []);
    assert.ok(await c.call<EchoReply>('append', {}));
    await s1.stop();
    // The channel notices, fails a call, and backs off; the peer comes back meanwhile.
    await rejects(c.call('append', {}, 300), RpcCode.Unavailable, /UNAVAILABLE/);
    const s2 = startEcho(port);
    try {
      const got = await c.call<EchoReply>('append', { text: 'back' });
      assert.equal(got.text, 'back');
    } finally {
      c.close();
      await (await s2).stop();
    }
  });

  test('a single dead address fails after the attempts with a clear error', async () => {
    const c = client([dead], ['echo']);
    await rejects(c.call('echo', {}), RpcCode.Unavailable, new RegExp(`^echoTest\\.echo via ${dead}: UNAVAILABLE`));
  });

  test('handler errors cross the wire: RpcError keeps its code, anything else is INTERNAL', async () => {
    const c = client([a.address()], ['echo']);
    await rejects(c.call('echo', { failCode: RpcCode.InvalidArgument }), RpcCode.InvalidArgument, /INVALID_ARGUMENT: failing with 3$/);
    await rejects(c.call('echo', { failCode: RpcCode.FailedPrecondition }), RpcCode.FailedPrecondition, /FAILED_PRECONDITION/);
    await rejects(c.call('echo', { failCode: 99 }), RpcCode.Internal, /INTERNAL: plain failure$/);
    assert.equal((await c.call<EchoReply>('echo', { text: 'still up' })).text, 'still up', 'the server keeps serving');
  });

  test('bytes that do not decode get INVALID_ARGUMENT; a reply that does not encode gets INTERNAL', async () => {
    const raw = new grpc.Client(a.address(), grpc.credentials.createInsecure());
    try {
      const garbage = Buffer.from([0x0a]); // field 1, length-delimited, no length
      const err = await new Promise<grpc.ServiceError | null>((resolve) => {
        raw.makeUnaryRequest('/herald.v1.EchoTest/Echo', (b: Buffer) => b, (b: Buffer) => b, garbage, (e) => resolve(e));
      });
      assert.equal(err?.code, grpc.status.INVALID_ARGUMENT, String(err));
      assert.match(err?.details ?? '', /request did not decode as herald\.v1\.EchoTest\.echo/);
    } finally {
      raw.close();
    }
    const c = client([a.address()]);
    await rejects(c.call('echo', { failCode: 98 }), RpcCode.Internal, /INTERNAL/);
    assert.equal((await c.call<EchoReply>('echo', { text: 'fine' })).text, 'fine', 'the server keeps serving');
  });

  test('an unknown method is refused before anything is sent', async () => {
    const c = client([a.address()]);
    await rejects(c.call('nope', {}), RpcCode.InvalidArgument, /echoTest\.nope: herald\.v1\.EchoTest has no such method/);
    assert.throws(() => client([a.address()], ['nope']), /has no method nope/);
  });

  test('every server answers the gRPC health check', async () => {
    const h = client([a.address()], [], HEALTH);
    assert.deepEqual(await h.call('check', { service: '' }), { status: 'SERVING' });
    assert.deepEqual(await h.call('check', { service: 'herald.v1.EchoTest' }), { status: 'SERVING' });
    await rejects(h.call('check', { service: 'herald.v1.Nope' }), RpcCode.NotFound, /NOT_FOUND: unknown service herald\.v1\.Nope/);
  });

  test('adding an unknown handler or service fails at once', () => {
    const s = createRpcServer({ host: '127.0.0.1', port: 0, log });
    assert.throws(() => s.add(ECHO, { nope: async () => ({}) }), /herald\.v1\.EchoTest has no unary method nope/);
    assert.throws(() => s.add({ name: 'herald.v1.Nope', file: 'echo_test.proto' }, {}), /has no service herald\.v1\.Nope/);
    assert.throws(() => s.add({ name: 'herald.v1.Nope', file: 'nope.proto' }, {}), /nope\.proto does not exist/);
    return s.stop();
  });
});

describe('rpc server stop', () => {
  test('stop waits for a call in progress, is safe twice, then the address is down', async () => {
    const s = await startEcho();
    const c = createRpcClient(ECHO, { addresses: [s.address()] }, log);
    try {
      const slow = c.call<EchoReply>('echo', { text: 'slow', delayMs: 200 });
      await sleep(50);
      await Promise.all([s.stop(), s.stop()]);
      assert.equal((await slow).text, 'slow', 'the call in progress finished');
      await rejects(c.call('echo', {}), RpcCode.Unavailable, /UNAVAILABLE/);
    } finally {
      c.close();
      await s.stop();
    }
  });

  test('a closed client refuses calls', async () => {
    const c = createRpcClient(ECHO, { addresses: ['127.0.0.1:1'] }, log);
    c.close();
    c.close();
    await rejects(c.call('echo', {}), RpcCode.Unavailable, /client is closed/);
  });
});
