import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestError } from '../../shared/client/node';
import { encodeClientFrame } from '../../shared/protocol/codec';
import { CloseCode, ErrorCode } from '../../shared/protocol/codes';
import { testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { freshMysqlDatabase } from '../../shared/testing/mysql-test-db';
import { startRedis, type TestServer } from '../../shared/testing/test-services';
import { demoApp } from './demo-app';
import { api, connectDevice, mintToken, push, rawSocket, sleep, startHerald, waitFor, type TestDevice } from './e2e-kit';
import type { Standalone } from './standalone';

const ADMIN = 'control-admin-token-0123456789';

/** A local webhook: records signed requests and answers what the test says. */
interface Hook {
  url: string;
  hits: { path: string; body: string; headers: IncomingMessage['headers'] }[];
  answer: (path: string) => { status: number; body?: unknown };
  server: Server;
}

async function startHook(): Promise<Hook> {
  const hook = { hits: [], answer: () => ({ status: 200, body: {} }) } as unknown as Hook;
  hook.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hook.hits.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      const a = hook.answer(req.url ?? '');
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => hook.server.listen(0, '127.0.0.1', () => r()));
  hook.url = `http://127.0.0.1:${(hook.server.address() as AddressInfo).port}`;
  return hook;
}

function signatureOk(hit: Hook['hits'][number], secret: string): boolean {
  const ts = String(hit.headers['x-herald-timestamp']);
  const want = 'sha256=' + createHmac('sha256', secret).update(`${ts}.${hit.body}`).digest('hex');
  return hit.headers['x-herald-signature'] === want;
}

async function admin(h: Standalone, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${h.center().url()}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

describe('coordinator and control paths (Redis + MySQL)', () => {
  let h: Standalone;
  let hook: Hook;
  let registerRedis: TestServer;
  const open: TestDevice[] = [];
  const device = async (name: string, opts: { url?: string; autoAck?: boolean } = {}): Promise<TestDevice> => {
    const d = await connectDevice(h, await mintToken(h, name), opts);
    open.push(d);
    return d;
  };

  before(async () => {
    hook = await startHook();
    registerRedis = await startRedis();
    h = await startHerald({
      standalone: { driver: 'redis', redisUrl: testRedisUrl(), mysqlUrl: await freshMysqlDatabase('control'), prefix: uniquePrefix('control'), rooms: 2 },
      register: { redisUrl: registerRedis.url },
      center: { adminToken: ADMIN },
      coordinator: { retryBaseMs: 50, upstreamMaxAttempts: 3, statusFlushMs: 100, recoveryPollMs: 200 },
      room: { graceMs: 1000 },
    });
    const r = await admin(h, 'PUT', '/v1/admin/apps/demo', { routes: { echo: `${hook.url}/echo`, broken: `${hook.url}/broken` }, statusUrl: `${hook.url}/status` });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  });
  after(async () => {
    open.forEach((d) => d.client.close());
    await h?.stop();
    await registerRedis?.stop();
    hook?.server.close();
  });

  test('an upstream reaches the webhook, signed, and its reply reaches the device', async () => {
    hook.answer = (path) => (path === '/echo' ? { status: 200, body: { reply: { pong: true } } } : { status: 200, body: {} });
    const d = await device('up-1');
    const reply = await d.client.upstream('demo', 'echo', JSON.stringify({ ping: 1 }));
    assert.deepEqual(JSON.parse(Buffer.from(reply.payload).toString('utf8')), { pong: true });
    const hit = hook.hits.find((x) => x.path === '/echo');
    assert.ok(hit, 'the webhook was called');
    assert.ok(signatureOk(hit, demoApp.secret), 'the signature verifies with the app secret');
    const body = JSON.parse(hit.body) as { device: string; type: string; payload: string };
    assert.equal(body.device, 'up-1');
    assert.equal(body.type, 'echo');
    assert.deepEqual(JSON.parse(Buffer.from(body.payload, 'base64').toString('utf8')), { ping: 1 });
  });

  test('a failing webhook is retried, then given up with an error Reply', async () => {
    hook.answer = (path) => (path === '/broken' ? { status: 500, body: { error: 'down' } } : { status: 200, body: {} });
    const d = await device('up-2');
    const before = hook.hits.filter((x) => x.path === '/broken').length;
    await assert.rejects(d.client.upstream('demo', 'broken', 'x'), (err: unknown) => err instanceof RequestError && err.code === ErrorCode.UpstreamFailed);
    assert.equal(hook.hits.filter((x) => x.path === '/broken').length - before, 3);
    await assert.rejects(d.client.upstream('demo', 'no-such-type', 'x'), (err: unknown) => err instanceof RequestError && err.code === ErrorCode.NoRoute);
  });

  test('online and offline callbacks arrive', async () => {
    const d = await device('st-1');
    d.client.close();
    const events = await waitFor('both events', () => {
      const all = hook.hits.filter((x) => x.path === '/status').flatMap((x) => (JSON.parse(x.body) as { events: { device: string; online: boolean }[] }).events);
      const mine = all.filter((e) => e.device === 'st-1');
      return mine.some((e) => e.online) && mine.some((e) => !e.online) ? mine : undefined;
    });
    assert.equal(events[0].online, true);
    assert.ok(hook.hits.filter((x) => x.path === '/status').every((x) => signatureOk(x, demoApp.secret)));
  });

  test('kick closes the right socket with the kicked code', async () => {
    const [a, b] = [await device('kick-a'), await device('kick-b')];
    const r = await api(h, 'POST', '/v1/apps/demo/devices/kick-a/kick', { reason: 'bye' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await waitFor('the kick', () => a.closed.length > 0);
    assert.equal(a.closed[0].code, CloseCode.Kicked);
    await sleep(200);
    assert.equal(b.closed.length, 0);
    const id = await push(h, { devices: ['kick-b'] }, 'still here');
    await waitFor('the other device still gets pushes', () => b.pushes.some((m) => m.id === id));
  });

  test('single login replaces the old session', async () => {
    const r = await admin(h, 'POST', '/v1/admin/apps', { id: 'solo', name: 'Single login app', singleLogin: true });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const app = (r.body.app ?? r.body) as { secret: string; apiKeys: string[] };
    const { signToken } = await import('../../shared/auth/jwt');
    const tok = signToken({ sub: 'one-phone', app: 'solo', exp: Math.floor(Date.now() / 1000) + 600 }, app.secret);
    const first = await connectDevice(h, tok, { url: h.rooms()[0].urls()[0] });
    const second = await connectDevice(h, tok, { url: h.rooms()[1].urls()[0] });
    open.push(first, second);
    await waitFor('the old session closed', () => first.closed.length > 0);
    assert.equal(first.closed[0].code, CloseCode.Replaced);
    assert.equal(second.closed.length, 0);
  });

  test('a flash reconnect within the grace period resumes; one after it does not', async () => {
    const token = await mintToken(h, 'flash-1');
    const url = h.room().urls()[0];
    const s1 = await rawSocket(h, url);
    s1.ws.send(encodeClientFrame({ seq: 1, auth: { tokens: [token] } }));
    const ok1 = await waitFor('AuthOk', () => s1.frames.find((f) => f.authOk)?.authOk);
    s1.ws.terminate();
    await sleep(200);
    const s2 = await rawSocket(h, url);
    s2.ws.send(encodeClientFrame({ seq: 1, auth: { tokens: [token], resume: ok1.sessionId } }));
    const ok2 = await waitFor('AuthOk', () => s2.frames.find((f) => f.authOk)?.authOk);
    assert.equal(ok2.resumed, true);
    s2.ws.terminate();
    await sleep(1600);
    const s3 = await rawSocket(h, url);
    s3.ws.send(encodeClientFrame({ seq: 1, auth: { tokens: [token], resume: ok2.sessionId || ok1.sessionId } }));
    const ok3 = await waitFor('AuthOk', () => s3.frames.find((f) => f.authOk)?.authOk);
    assert.equal(ok3.resumed, false);
    s3.ws.close();
  });

  test("FLUSHALL on the register's Redis is recovered without a restart and pushes keep arriving", async () => {
    const d = await device('flush-1');
    const r = spawnSync('redis-cli', ['-p', String(registerRedis.port), 'FLUSHALL'], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), 'OK', r.stderr);
    await waitFor('the device online again', async () => (await api(h, 'GET', '/v1/apps/demo/devices/flush-1')).body.online === true, 10_000);
    const id = await push(h, { devices: ['flush-1'] }, 'after the flush');
    await waitFor('the push after recovery', () => d.pushes.some((m) => m.id === id));
  });

  test('draining one of two rooms moves its clients to the other with no QoS 1 message lost', async () => {
    const [roomA, roomB] = h.rooms();
    const names = Array.from({ length: 12 }, (_, i) => `drain-${i}`);
    const devs = await Promise.all(names.map((n) => device(n, { url: roomA.urls()[0] })));
    const sent: string[][] = names.map(() => []);
    const pushing = (async () => {
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < names.length; i++) sent[i].push(await push(h, { devices: [names[i]] }, `round ${round}`));
        await sleep(50);
      }
    })();
    await sleep(100);
    const r = await admin(h, 'POST', `/v1/admin/rooms/${roomA.id}/drain`, { deadlineMs: 5000 });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await pushing;
    await waitFor('room A empty', () => roomA.connectionCount() === 0, 10_000);
    await waitFor('every message on every device', () => devs.every((d, i) => sent[i].every((id) => d.pushes.some((m) => m.id === id))), 15_000);
    assert.ok(roomB.connectionCount() >= names.length);
  });
});
