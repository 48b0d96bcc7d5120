import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from '../../shared/protocol/codes';
import { APP, APP2, eventually, startRoom, TestClient, token, type Harness } from './test-harness';

async function connIdOf(h: Harness, device: string): Promise<string> {
  const [s] = await h.register.lookupDevices(APP.id, [device]);
  assert.ok(s, `device ${device} has a session`);
  return s.connId;
}

describe('room: upstream', () => {
  test('frames of one turn reach the coordinator in one call with their fields; room.reply() answers with the seq', async () => {
    const h = await startRoom();
    try {
      const { client } = await TestClient.authed(h.url, [token('u1', { uid: 'alice' })]);
      const connId = await connIdOf(h, 'u1');
      const s1 = client.send({ upstream: { app: APP.id, type: 'chat', payload: Buffer.from('hello') } });
      const s2 = client.send({ upstream: { app: APP.id, type: 'chat', payload: Buffer.from('again') } });
      await eventually(() => h.coordinator.upstreamCalls.flat().length === 2);
      assert.equal(h.coordinator.upstreamCalls.length, 1, 'one coordinator call for the turn');
      const [r1, r2] = h.coordinator.upstreamCalls[0];
      assert.deepEqual({ ...r1, payload: Buffer.from(r1.payload).toString() }, {
        app: APP.id, device: 'u1', user: 'alice', type: 'chat', payload: 'hello', roomId: h.room.id, connId, seq: s1,
      });
      assert.equal(r2.seq, s2);
      assert.equal(Buffer.from(r2.payload).toString(), 'again');

      const sent = await h.room.reply([
        { connId, seq: s1, code: ErrorCode.Ok, message: 'ok', payload: Buffer.from('answer') },
        { connId: 'gone', seq: 9, code: ErrorCode.Ok, message: '' },
      ]);
      assert.equal(sent, 1);
      const reply = await client.nextOf('reply');
      assert.equal(reply.seq, s1);
      assert.equal(reply.reply!.code, ErrorCode.Ok);
      assert.equal(reply.reply!.message, 'ok');
      assert.equal(Buffer.from(reply.reply!.payload ?? []).toString(), 'answer');
      client.close();
    } finally {
      await h.stop();
    }
  });

  test('an unbound app gets NotBound, a bad type BadFrame; neither reaches the coordinator', async () => {
    const h = await startRoom({ upstreamMaxType: 8 });
    try {
      const { client } = await TestClient.authed(h.url, [token('u2')]);
      const s1 = client.send({ upstream: { app: APP2.id, type: 'chat' } });
      const r1 = await client.nextOf('reply');
      assert.equal(r1.seq, s1);
      assert.equal(r1.reply!.code, ErrorCode.NotBound);
      for (const type of ['', 'x'.repeat(9)]) {
        const seq = client.send({ upstream: { app: APP.id, type } });
        const r = await client.nextOf('reply');
        assert.equal(r.seq, seq);
        assert.equal(r.reply!.code, ErrorCode.BadFrame);
      }
      assert.equal((await client.ping()).body, 'pong');
      assert.equal(h.coordinator.upstreamCalls.length, 0);
      client.close();
    } finally {
      await h.stop();
    }
  });

  test('a coordinator that rejects: Reply Unavailable at once for each frame; the connection stays', async () => {
    const h = await startRoom();
    try {
      h.coordinator.failUpstream = true;
      const { client } = await TestClient.authed(h.url, [token('u3')]);
      const seq = client.send({ upstream: { app: APP.id, type: 'chat', payload: Buffer.from('x') } });
      const r = await client.nextOf('reply');
      assert.equal(r.seq, seq);
      assert.equal(r.reply!.code, ErrorCode.Unavailable);
      assert.equal((await client.ping()).body, 'pong');
      assert.match(await h.metrics.metrics(), /herald_room_upstream_failures_total\{room="[^"]+"\} 1/);
      client.close();
    } finally {
      await h.stop();
    }
  });

  test('reply() and kick() refuse a non-array batch and skip junk entries', async () => {
    const h = await startRoom();
    try {
      await assert.rejects(h.room.reply(null as never), TypeError);
      await assert.rejects(h.room.kick('x' as never), TypeError);
      assert.equal(await h.room.reply([null as never, { connId: 'c', seq: -1, code: 0, message: '' }]), 0);
      assert.equal(await h.room.kick([null as never, { connId: 7 as never, code: 4501, reason: '' }]), 0);
    } finally {
      await h.stop();
    }
  });
});
