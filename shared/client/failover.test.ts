import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { signToken } from '../auth/jwt';
import { CloseCode } from '../protocol/codes';
import { createNodeClient, type ClientEvents, type DisconnectedEvent, type HeraldClient } from './node';
import { deadUrl, startFakeDispatch, startFakeRoom, until } from './fake-room';

// Source runs (tsx) spawn the .ts files through tsx; compiled runs (dist/) spawn the .js.
const compiled = !__filename.endsWith('.ts');
const nodeArgs = compiled ? [] : ['--import', 'tsx'];
const ext = compiled ? '.js' : '.ts';

const token = signToken({ sub: 'dev-7', app: 'demo', exp: Math.floor(Date.now() / 1000) + 3600 }, 'secret');

type Recorded = { name: keyof ClientEvents; arg: unknown; at: number };

function record(client: HeraldClient): Recorded[] {
  const events: Recorded[] = [];
  for (const name of ['connected', 'disconnected', 'kick', 'closed'] as const) {
    client.on(name, (arg) => events.push({ name, arg, at: Date.now() }));
  }
  return events;
}

const named = (events: Recorded[], name: keyof ClientEvents) => events.filter((e) => e.name === name);

test('reconnects after a 4000 close with growing, jittered delays, resuming the session', async () => {
  const room = await startFakeRoom();
  // Accept the first connection, then close every later one at once with 4000 (draining).
  room.handler = (conn, f) => {
    if (f.body !== 'auth' || room.conns.length === 1) return false;
    conn.close(CloseCode.Draining, 'draining');
    return true;
  };
  const randoms = [0, 1, 0.5, 0, 0.5];
  let r = 0;
  const c = createNodeClient({
    tokens: [token],
    urls: [room.url],
    backoff: { initialMs: 40, maxMs: 200, factor: 2, jitter: 0.5 },
    random: () => randoms[r++ % randoms.length],
  });
  const events = record(c);
  try {
    const first = await c.connect();
    room.conns[0].close(CloseCode.Draining, 'draining');
    await until('five reconnect attempts', () => room.conns.length >= 6, 5000);
    const downs = named(events, 'disconnected').map((e) => e.arg as DisconnectedEvent);
    assert.ok(downs.every((d) => d.code === CloseCode.Draining && d.willReconnect));
    // base 40, 80, 160, 200 (capped), 200; delay = base * (1 - 0.5 * random)
    assert.deepEqual(downs.slice(0, 5).map((d) => d.delayMs), [40, 40, 120, 200, 150]);
    // The gaps between attempts honour the announced delays.
    const closes = named(events, 'disconnected');
    for (let i = 1; i < 4; i++) {
      const gap = closes[i].at - closes[i - 1].at;
      assert.ok(gap >= downs[i - 1].delayMs - 5, `gap ${gap} >= delay ${downs[i - 1].delayMs}`);
    }
    assert.equal(room.conns[1].frames[0].auth!.resume, first.sessionId, 'the reconnect asks to resume');
  } finally {
    c.close();
    await room.stop();
  }
  assert.equal(named(events, 'closed').length, 1);
});

test('4501 closes for good: kick surfaced, no reconnect, closed emitted', async () => {
  const room = await startFakeRoom();
  const c = createNodeClient({ tokens: [token], urls: [room.url], backoff: { initialMs: 10, maxMs: 20 } });
  const events = record(c);
  try {
    await c.connect();
    room.conns[0].send({ kick: { code: CloseCode.Kicked, reason: 'kicked by admin' } });
    room.conns[0].close(CloseCode.Kicked, 'kicked by admin');
    await until('closed', () => named(events, 'closed').length === 1);
    assert.deepEqual(named(events, 'kick')[0].arg, { code: CloseCode.Kicked, reason: 'kicked by admin' });
    assert.deepEqual(named(events, 'disconnected')[0].arg, { code: 4501, reason: 'kicked by admin', willReconnect: false, delayMs: 0 });
    assert.deepEqual(named(events, 'closed')[0].arg, { code: 4501, reason: 'kicked by admin' });
    assert.equal(c.state, 'closed');
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(room.conns.length, 1, 'no reconnect');
    await assert.rejects(c.connect(), /closed/);
  } finally {
    c.close();
    await room.stop();
  }
});

test('an auth failure before AuthOk rejects connect()', async () => {
  const room = await startFakeRoom((conn, f) => {
    if (f.body === 'auth') conn.close(CloseCode.AuthFailed, 'bad token');
    return true;
  });
  const c = createNodeClient({ tokens: [token], urls: [room.url] });
  try {
    await assert.rejects(c.connect(), /bad token/);
  } finally {
    c.close();
    await room.stop();
  }
});

test('re-dispatches with exclude (and failed=all) when every room failed', async () => {
  const room = await startFakeRoom();
  const [a, b] = [await deadUrl(), await deadUrl()];
  const dispatch = await startFakeDispatch((_q, n) =>
    n === 1 ? { rooms: [{ id: 'a', url: a, zone: 'z1' }, { id: 'b', url: b, zone: 'z1' }] } : { rooms: [{ id: 'c', url: room.url, zone: 'z2' }] },
  );
  const c = createNodeClient({ tokens: [token], dispatchUrl: dispatch.url, network: 'cellular', backoff: { initialMs: 10, maxMs: 50 } });
  try {
    const info = await c.connect();
    assert.equal(info.roomId, 'c');
    assert.equal(dispatch.queries.length, 2);
    const [q1, q2] = dispatch.queries;
    assert.equal(q1.get('device'), 'dev-7', 'device defaults to the token sub');
    assert.equal(q1.get('app'), 'demo');
    assert.equal(q1.get('network'), 'cellular');
    assert.equal(q1.get('exclude'), null);
    assert.equal(q2.get('exclude'), 'a,b');
    assert.equal(q2.get('failed'), 'all');
  } finally {
    c.close();
    await Promise.all([room.stop(), dispatch.stop()]);
  }
});

test('after a drop the last good room is tried first; a bad dispatch answer is retried', async () => {
  const [good, other] = [await startFakeRoom(), await startFakeRoom()];
  const dispatch = await startFakeDispatch((_q, n) => (n === 1 ? 503 : { rooms: [{ id: 'o', url: other.url }, { id: 'g', url: good.url }] }));
  const c = createNodeClient({ tokens: [token], dispatchUrl: dispatch.url, backoff: { initialMs: 10, maxMs: 50 } });
  const errors: string[] = [];
  c.on('error', (e) => errors.push(e.message));
  try {
    other.handler = (conn, f) => {
      if (f.body === 'auth' && other.conns.length === 1) {
        conn.close(1011, 'boom');
        return true;
      }
      return false;
    };
    const info = await c.connect();
    assert.match(errors[0], /dispatch failed: dispatch answered HTTP 503/);
    assert.equal(info.roomId, 'g', 'the room that failed is skipped');
    good.conns[0].ws.terminate(); // network loss
    await until('reconnected to the good room', () => good.conns.length === 2);
    assert.equal(other.conns.length, 1);
    assert.equal(dispatch.queries.length, 2, 'the known list is reused');
  } finally {
    c.close();
    await Promise.all([good.stop(), other.stop(), dispatch.stop()]);
  }
});

test('a Redirect moves the client to the given URLs', async () => {
  const [from, to] = [await startFakeRoom(), await startFakeRoom()];
  const c = createNodeClient({ tokens: [token], urls: [from.url] });
  const events = record(c);
  try {
    const first = await c.connect();
    from.conns[0].send({ redirect: { urls: [to.url], reason: 'rebalance' } });
    await until('connected to the new room', () => named(events, 'connected').length === 2);
    const second = named(events, 'connected')[1].arg as { url: string; resumed: boolean };
    assert.equal(second.url, to.url);
    assert.equal(to.conns[0].frames[0].auth!.resume, first.sessionId);
    assert.deepEqual(named(events, 'disconnected')[0].arg, { code: 1000, reason: 'redirect: rebalance', willReconnect: true, delayMs: 0 });
    await until('old socket closed', () => from.conns[0].ws.readyState === 3);
  } finally {
    c.close();
    await Promise.all([from.stop(), to.stop()]);
  }
});

test('a room that goes silent is declared dead after 2 heartbeat intervals', async () => {
  const room = await startFakeRoom((_conn, f) => f.body === 'ping' && room.conns.length === 1);
  room.heartbeatSeconds = 1;
  const c = createNodeClient({ tokens: [token], urls: [room.url], backoff: { initialMs: 10, maxMs: 20 } });
  const events = record(c);
  try {
    await c.connect();
    const started = Date.now();
    await until('reconnected', () => named(events, 'connected').length === 2, 5000);
    const down = named(events, 'disconnected')[0];
    assert.equal((down.arg as DisconnectedEvent).code, CloseCode.HeartbeatTimeout);
    const took = down.at - started;
    assert.ok(took >= 1900 && took <= 3500, `declared dead after ${took} ms`);
  } finally {
    c.close();
    await room.stop();
  }
});

test('maxAttempts bounds the retries, then closed is emitted', async () => {
  const c = createNodeClient({ tokens: [token], urls: [await deadUrl()], maxAttempts: 2, backoff: { initialMs: 5, maxMs: 10 } });
  const events = record(c);
  c.on('error', () => undefined);
  await assert.rejects(c.connect(), /gave up after 3 failed attempts/);
  const downs = named(events, 'disconnected').map((e) => e.arg as DisconnectedEvent);
  assert.deepEqual(downs.map((d) => d.willReconnect), [true, true, false]);
  assert.equal(named(events, 'closed').length, 1);
  c.close();
});

test('tokens() is called before each connect', async () => {
  const room = await startFakeRoom();
  let calls = 0;
  const c = createNodeClient({
    tokens: async () => [`${token}`, `t${++calls}.x.y`],
    urls: [room.url],
    backoff: { initialMs: 5, maxMs: 10 },
  });
  try {
    await c.connect();
    room.conns[0].close(CloseCode.ServerError, 'restart');
    await until('second auth', () => room.conns.length === 2 && room.conns[1].frames.length > 0);
    assert.deepEqual(room.conns[0].frames[0].auth!.tokens, [token, 't1.x.y']);
    assert.deepEqual(room.conns[1].frames[0].auth!.tokens, [token, 't2.x.y']);
  } finally {
    c.close();
    await room.stop();
  }
});

// Run in a child process: the proof that close() leaves nothing behind is that Node exits by itself.
function exitsAlone(env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, '-e', SCRIPT], { env: { ...process.env, TOKEN: token, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const result = { code: null as number | null, out: '', ms: 0 };
  child.stdout.on('data', (d: Buffer) => (result.out += d.toString()));
  const killer = setTimeout(() => child.kill(), 8000);
  const exited = new Promise<typeof result>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      Object.assign(result, { code, ms: Date.now() - started });
      resolve(result);
    }),
  );
  return { child, exited };
}

// WHEN: the client event on which the script calls close(), or 'stdin' to close when the test says so.
const SCRIPT = `
const { createNodeClient } = require(${JSON.stringify(join(__dirname, `node${ext}`))});
const c = createNodeClient({ tokens: [process.env.TOKEN], urls: [process.env.URL], backoff: { initialMs: 60000, maxMs: 60000 } });
const close = () => { c.close(); c.close(); };
c.on('error', () => {});
c.on('closed', (e) => console.log('closed ' + e.code));
c.connect().then(() => console.log('connected'), (e) => console.log('rejected: ' + e.message));
if (process.env.WHEN === 'stdin') process.stdin.once('data', () => { process.stdin.destroy(); close(); });
else { process.stdin.destroy(); c.on(process.env.WHEN, close); }
`;

test('after close() the process exits by itself: while waiting, connecting and connected', async () => {
  const silent = await startFakeRoom(() => true); // never answers Auth
  const room = await startFakeRoom();
  try {
    const waiting = await exitsAlone({ URL: await deadUrl(), WHEN: 'disconnected' }).exited;
    const lines = (out: string) => out.trim().split('\n').sort();
    assert.deepEqual(lines(waiting.out), ['closed 1000', 'rejected: client closed: closed by client']);
    const connecting = exitsAlone({ URL: silent.url, WHEN: 'stdin' });
    await until('auth sent', () => silent.frames.length === 1, 8000);
    connecting.child.stdin!.end('close\n');
    const second = await connecting.exited;
    assert.deepEqual(lines(second.out), ['closed 1000', 'rejected: client closed: closed by client']);
    const connected = await exitsAlone({ URL: room.url, WHEN: 'connected' }).exited;
    assert.deepEqual(lines(connected.out), ['closed 1000', 'connected']);
    for (const r of [waiting, second, connected]) {
      assert.equal(r.code, 0);
      assert.ok(r.ms < 8000, 'exited without being killed');
    }
  } finally {
    await Promise.all([silent.stop(), room.stop()]);
  }
});
