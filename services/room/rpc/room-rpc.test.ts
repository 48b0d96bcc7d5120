import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeliverResult, DrainOptions, RoomDelivery, RoomKick, RoomReply, RoomService } from '../../../shared/contracts/room';
import { createLogger } from '../../../shared/log/log';
import { CloseCode, ErrorCode } from '../../../shared/protocol/codes';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import { createRpcServer } from '../../../shared/rpc/grpc-server';
import { RpcCode, RpcError, type RpcServer } from '../../../shared/rpc/rpc';
import { APP, message, startRoom, TestClient, token, type Harness } from '../test-harness';
import { createRoomClient, type RoomClient } from './room-rpc-client';
import { roomRpcHandlers, roomRpcService } from './room-rpc-handlers';

const log = createLogger({ test: 'room-rpc' }, 'error');

async function serve(room: RoomService): Promise<{ server: RpcServer; client: RoomClient }> {
  const server = createRpcServer({ host: '127.0.0.1', port: 0, log });
  server.add(roomRpcService, roomRpcHandlers(room));
  await server.start();
  return { server, client: createRoomClient(server.address(), { id: room.id, deadlineMs: 3000 }, log) };
}

async function connIdOf(h: Harness, device: string): Promise<string> {
  const [s] = await h.register.lookupDevices(APP.id, [device]);
  assert.ok(s, `device ${device} has a session`);
  return s.connId;
}

describe('room RPC: a real room behind the server', () => {
  test('deliver, reply and kick through the client reach the ws client; reflush and drain answer', async () => {
    const h = await startRoom({ graceMs: 0 });
    const { server, client } = await serve(h.room);
    try {
      assert.equal(client.id, h.room.id);
      const { client: ws } = await TestClient.authed(h.url, [token('d1')]);
      const connId = await connIdOf(h, 'd1');
      const m = message('m-rpc', { payload: Buffer.from([0, 1, 2, 255]) });
      await h.saver.store(m, [{ app: APP.id, device: 'd1' }]);
      const res = await client.deliver([
        { connId, app: APP.id, device: 'd1', message: m },
        { connId: 'gone', app: APP.id, device: 'd1', message: m },
      ]);
      assert.deepEqual(res, { sent: 1, missing: 1, refused: 0 });
      const push = (await ws.nextOf('push')).push!;
      assert.equal(push.id, 'm-rpc');
      assert.deepEqual(Buffer.from(push.payload!), Buffer.from([0, 1, 2, 255]));
      assert.equal(Number(push.expires), m.expires);

      const seq = 77;
      assert.equal(await client.reply([{ connId, seq, code: ErrorCode.NoRoute, message: 'no route', payload: Buffer.from('x') }, { connId: 'gone', seq: 1, code: 0, message: '' }]), 1);
      const reply = await ws.nextOf('reply');
      assert.equal(reply.seq, seq);
      assert.equal(reply.reply!.code, ErrorCode.NoRoute);
      assert.equal(reply.reply!.message, 'no route');
      assert.equal(Buffer.from(reply.reply!.payload!).toString(), 'x');

      assert.equal(await client.reflush(), 1);
      assert.equal(await client.kick([{ connId, code: CloseCode.Kicked, reason: 'rpc kick' }]), 1);
      assert.equal((await ws.nextOf('kick')).kick!.reason, 'rpc kick');
      assert.deepEqual(await ws.closed, { code: CloseCode.Kicked, reason: 'rpc kick' });
      assert.deepEqual(await client.deliver([]), { sent: 0, missing: 0, refused: 0 });

      const { client: ws2 } = await TestClient.authed(h.url, [token('d2')]);
      await client.drain({ batchSize: 10, intervalMs: 0, deadlineMs: 1000 });
      assert.equal((await ws2.closed).code, CloseCode.Draining);
    } finally {
      client.close();
      await server.stop();
      await h.stop();
    }
  });

  test('a malformed request gets INVALID_ARGUMENT naming the field; the room keeps serving', async () => {
    const h = await startRoom();
    const { server, client } = await serve(h.room);
    const raw = createRpcClient(roomRpcService, { addresses: [server.address()] }, log);
    try {
      const msg = { id: 'x', app: APP.id, kind: 'unicast', qos: 1 };
      const good = { connId: 'c', app: APP.id, device: 'd', message: 0 };
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ messages: [msg, { ...msg, kind: 'spam' }], deliveries: [good] }, /messages\[1\]\.kind/],
        [{ messages: [msg], deliveries: [good, { ...good, connId: '' }] }, /deliveries\[1\]\.connId/],
        [{ messages: [{ ...msg, qos: 2 }], deliveries: [good] }, /messages\[0\]\.qos/],
        [{ messages: [msg], deliveries: [{ ...good, message: 1 }] }, /deliveries\[0\]\.message: must index messages \(1 given\)/],
        [{ deliveries: [good] }, /deliveries\[0\]\.message: must index messages \(0 given\)/],
      ];
      for (const [req, pattern] of cases) {
        await assert.rejects(raw.call('deliver', req), (err: unknown) => err instanceof RpcError && err.code === RpcCode.InvalidArgument && pattern.test(err.message));
      }
      await assert.rejects(raw.call('kick', { kicks: [{ code: 4501 }] }), /kicks\[0\]\.connId: must not be empty/);
      assert.deepEqual(await client.deliver([{ connId: 'c', app: APP.id, device: 'd', message: message('ok') }]), { sent: 0, missing: 1, refused: 0 });
    } finally {
      raw.close();
      client.close();
      await server.stop();
      await h.stop();
    }
  });
});

/** A RoomService that records what arrives (our own interface: a recording double). */
class RecordingRoom implements RoomService {
  readonly id = 'rec-room';
  delivered: RoomDelivery[] = [];
  replies: RoomReply[] = [];
  kicks: RoomKick[] = [];
  drains: (DrainOptions | undefined)[] = [];
  async deliver(batch: RoomDelivery[]): Promise<DeliverResult> {
    this.delivered.push(...batch);
    return { sent: 3, missing: 2, refused: 1 };
  }
  async reply(batch: RoomReply[]): Promise<number> {
    this.replies.push(...batch);
    return batch.length;
  }
  async kick(batch: RoomKick[]): Promise<number> {
    this.kicks.push(...batch);
    if (batch.some((k) => k.reason === 'boom')) throw new Error('room exploded');
    return batch.length;
  }
  async drain(opts?: DrainOptions): Promise<void> {
    this.drains.push(opts);
  }
  async reflush(): Promise<number> {
    return 42;
  }
}

describe('room RPC: field mapping', () => {
  test('every field survives the trip; optional fields stay absent; room errors fail only the call', async () => {
    const room = new RecordingRoom();
    const { server, client } = await serve(room);
    try {
      const base = { id: 'b1', app: 'a', kind: 'broadcast' as const, payload: Buffer.from('p'), created: 1_700_000_000_123, expires: 1_800_000_000_456, qos: 1 as const };
      const sent: RoomDelivery[] = [
        { connId: 'c1', app: 'a', device: 'd1', message: base, log: '', seq: 9_007_199_254 },
        { connId: 'c2', app: 'a', device: 'd2', message: { ...base, kind: 'topic', topic: 'news', qos: 0, expires: 0 }, log: 'news', seq: 3 },
        { connId: 'c3', app: 'a', device: 'd3', message: base },
        { connId: 'c4', app: 'a', device: 'd4', message: { ...base, kind: 'unicast', payload: Buffer.alloc(0) } },
      ];
      assert.deepEqual(await client.deliver(sent), { sent: 3, missing: 2, refused: 1 });
      assert.deepEqual(room.delivered, sent);
      assert.equal(room.delivered[0].message, room.delivered[2].message, 'one message object for the deliveries that shared it');
      await client.reply([{ connId: 'c1', seq: 4_000_000_000, code: 13, message: 'm' }]);
      assert.deepEqual(room.replies, [{ connId: 'c1', seq: 4_000_000_000, code: 13, message: 'm' }]);
      await client.drain();
      await client.drain({ intervalMs: 0 });
      await client.drain({ batchSize: 5, intervalMs: 7, deadlineMs: 100 });
      assert.deepEqual(room.drains, [{}, { intervalMs: 0 }, { batchSize: 5, intervalMs: 7, deadlineMs: 100 }]);
      assert.equal(await client.reflush(), 42);
      await assert.rejects(client.kick([{ connId: 'c', code: 4501, reason: 'boom' }]), (err: unknown) => err instanceof RpcError && err.code === RpcCode.Internal && /room exploded/.test(err.message));
      assert.equal(await client.kick([{ connId: 'c', code: 4501, reason: 'fine' }]), 1);
    } finally {
      client.close();
      await server.stop();
    }
  });

  test('an unreachable room fails the call with UNAVAILABLE, never hangs', async () => {
    const client = createRoomClient('127.0.0.1:1', { id: 'nowhere', deadlineMs: 1000 }, log);
    try {
      await assert.rejects(client.deliver([{ connId: 'c', app: 'a', device: 'd', message: message('x') }]), (err: unknown) => err instanceof RpcError && (err.code === RpcCode.Unavailable || err.code === RpcCode.DeadlineExceeded));
    } finally {
      client.close();
    }
  });
});
