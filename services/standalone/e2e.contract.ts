import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { signToken } from '../../shared/auth/jwt';
import { encodeClientFrame } from '../../shared/protocol/codec';
import { CloseCode, ErrorCode } from '../../shared/protocol/codes';
import type { StandaloneOptions } from './config';
import { demoApp } from './demo-app';
import { api, connectDevice, mintToken, push, rawSocket, sleep, startHerald, text, waitFor } from './e2e-kit';
import type { Standalone } from './standalone';

const MAX_ATTEMPTS = 3;
const MAX_PAYLOAD = 4096;
const PENDING_PAGE = 5;

/**
 * The core path end to end on one set of drivers: a real room (uWebSockets.js), center,
 * dispatcher, register and saver in one process, driven by the SDK and raw sockets.
 */
export function describeEndToEnd(name: string, options: () => Promise<StandaloneOptions>): void {
  describe(`end to end (${name})`, () => {
    let opts: StandaloneOptions;
    let h: Standalone;
    before(async () => {
      opts = await options();
      opts = { ...opts, saver: { maxAttempts: MAX_ATTEMPTS, ...opts.saver }, room: { maxPayload: MAX_PAYLOAD, pendingLimit: PENDING_PAGE, ...opts.room } };
      h = await startHerald(opts);
    });
    after(async () => h?.stop());

    test('connect, auth, push, ack', async () => {
      const dev = await connectDevice(h, await mintToken(h, 'e2e-a'));
      try {
        const id = await push(h, { devices: ['e2e-a'] }, { hello: 'world' });
        const got = await waitFor('the push', () => dev.pushes.find((m) => m.id === id));
        assert.deepEqual(JSON.parse(text(got)), { hello: 'world' });
        assert.equal(got.app, 'demo');
        assert.equal(got.qos, 1);
        const status = await waitFor('the ack', async () => {
          const r = await api(h, 'GET', `/v1/apps/demo/messages/${id}`);
          return r.body.acked === 1 ? r.body : undefined;
        });
        assert.equal(status.targets, 1);
        assert.equal(status.delivered, 1);
        assert.equal(status.state, 'done');
        assert.deepEqual(await h.saver().pending('demo', 'e2e-a'), []);
      } finally {
        dev.client.close();
      }
    });

    test('a push to an offline device arrives when it connects; an expired one does not', async () => {
      const expiring = await push(h, { devices: ['e2e-b'] }, 'short', { ttl: 1 });
      const kept = await push(h, { devices: ['e2e-b'] }, 'long', { ttl: 600 });
      await sleep(1300);
      const dev = await connectDevice(h, await mintToken(h, 'e2e-b'));
      try {
        await waitFor('the kept message', () => dev.pushes.find((m) => m.id === kept));
        await sleep(200);
        assert.deepEqual(dev.pushes.map((m) => m.id), [kept]);
        const r = await api(h, 'GET', `/v1/apps/demo/messages/${expiring}`);
        assert.equal(r.body.state, 'expired');
        assert.equal(r.body.delivered, 0);
      } finally {
        dev.client.close();
      }
    });

    test(`a device that never acks gets a message ${MAX_ATTEMPTS} times, then it is dead-lettered`, async () => {
      const token = await mintToken(h, 'e2e-c');
      const id = await push(h, { devices: ['e2e-c'] }, 'never acked');
      let deliveries = 0;
      for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
        const dev = await connectDevice(h, token, { autoAck: false });
        await sleep(250);
        deliveries += dev.pushes.filter((m) => m.id === id).length;
        dev.client.close();
        await sleep(50);
      }
      assert.equal(deliveries, MAX_ATTEMPTS);
      const dead = await h.saver().deadLetters('demo');
      const entry = dead.find((d) => d.id === id);
      assert.ok(entry, 'the message is in the dead letters');
      assert.equal(entry.device, 'e2e-c');
      const r = await api(h, 'GET', `/v1/apps/demo/messages/${id}`);
      assert.equal(r.body.deadLettered, 1);
    });

    test("a user push reaches each of the user's devices, online now or later", async () => {
      const offline = await connectDevice(h, await mintToken(h, 'e2e-u2', 'user-1'));
      offline.client.close();
      await sleep(100);
      const online = await connectDevice(h, await mintToken(h, 'e2e-u1', 'user-1'));
      try {
        const id = await push(h, { users: ['user-1'] }, 'to the user');
        await waitFor('the online device', () => online.pushes.find((m) => m.id === id));
        const later = await connectDevice(h, await mintToken(h, 'e2e-u2', 'user-1'));
        await waitFor('the offline device at connect', () => later.pushes.find((m) => m.id === id));
        later.client.close();
        const r = await waitFor('two acks', async () => {
          const s = await api(h, 'GET', `/v1/apps/demo/messages/${id}`);
          return s.body.acked === 2 ? s.body : undefined;
        });
        assert.equal(r.targets, 2);
      } finally {
        online.client.close();
      }
    });

    test('bad tokens, unknown apps, malformed and oversized frames are refused while others keep working', async () => {
      const healthy = await connectDevice(h, await mintToken(h, 'e2e-ok'));
      try {
        const exp = Math.floor(Date.now() / 1000) + 600;
        const cases = [
          { what: 'bad signature', tokens: [signToken({ sub: 'x', app: 'demo', exp }, 'not-the-secret')], code: ErrorCode.BadToken },
          { what: 'expired', tokens: [signToken({ sub: 'x', app: 'demo', exp: exp - 1200 }, demoApp.secret)], code: ErrorCode.TokenExpired },
          { what: 'unknown app', tokens: [signToken({ sub: 'x', app: 'nope', exp }, 'whatever')], code: ErrorCode.UnknownApp },
        ];
        for (const c of cases) {
          const s = await rawSocket(h);
          s.ws.send(encodeClientFrame({ seq: 1, auth: { tokens: c.tokens } }));
          const closed = await s.close;
          assert.equal(closed.code, CloseCode.AuthFailed, c.what);
          assert.equal(s.frames[0]?.error?.code, c.code, c.what);
        }
        const bad = await rawSocket(h);
        bad.ws.send(Buffer.from([0xff, 0xff, 0xff, 0x01]));
        assert.equal((await bad.close).code, CloseCode.ProtocolError);
        assert.equal(bad.frames[0]?.error?.code, ErrorCode.BadFrame);
        const big = await rawSocket(h);
        big.ws.send(Buffer.alloc(MAX_PAYLOAD + 1));
        assert.equal((await big.close).code, CloseCode.FrameTooLarge);
        assert.equal(big.frames[0]?.error?.code, ErrorCode.FrameTooLarge);
        const id = await push(h, { devices: ['e2e-ok'] }, 'still here');
        await waitFor('the healthy client push', () => healthy.pushes.find((m) => m.id === id));
        assert.equal(healthy.closed.length, 0);
      } finally {
        healthy.client.close();
      }
    });

    test('a backlog longer than one page of pending messages arrives in full, in order', async () => {
      const ids: string[] = [];
      for (let i = 0; i < PENDING_PAGE * 2 + 2; i++) ids.push(await push(h, { devices: ['e2e-backlog'] }, `backlog ${i}`));
      const dev = await connectDevice(h, await mintToken(h, 'e2e-backlog'));
      try {
        await waitFor('the whole backlog', () => ids.every((id) => dev.pushes.some((m) => m.id === id)));
        assert.deepEqual(dev.pushes.map((m) => m.id), ids);
        await waitFor('an empty inbox', async () => (await h.saver().pending('demo', 'e2e-backlog')).length === 0);
      } finally {
        dev.client.close();
      }
    });

    test('qos 0 goes to online devices only and is not stored', async () => {
      const dev = await connectDevice(h, await mintToken(h, 'e2e-q0'));
      try {
        const id = await push(h, { devices: ['e2e-q0', 'e2e-q0-offline'] }, 'fire and forget', { qos: 0 });
        await waitFor('the qos 0 push', () => dev.pushes.find((m) => m.id === id));
        assert.deepEqual(await h.saver().pending('demo', 'e2e-q0-offline'), []);
      } finally {
        dev.client.close();
      }
    });
  });
}
