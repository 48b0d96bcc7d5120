import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CoordinatorService, StatusEvent, UpstreamRequest } from '../../../shared/contracts/coordinator';
import type { Session } from '../../../shared/contracts/register';
import { createLogger } from '../../../shared/log/log';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import { createRpcServer } from '../../../shared/rpc/grpc-server';
import { RpcCode, RpcError } from '../../../shared/rpc/rpc';
import { createCoordinatorClient } from './coordinator-rpc-client';
import { coordinatorRpcHandlers, coordinatorRpcService } from './coordinator-rpc-handlers';

const log = createLogger({ test: 'coordinator-rpc' }, 'error');

/** A CoordinatorService that records each batch (our own interface: a recording double). */
class RecordingCoordinator implements CoordinatorService {
  upstreams: UpstreamRequest[][] = [];
  statuses: StatusEvent[][] = [];
  replacedPairs: { now: Session; old: Session }[][] = [];
  failStatus = false;
  async upstream(requests: UpstreamRequest[]): Promise<void> {
    this.upstreams.push(requests);
  }
  async status(events: StatusEvent[]): Promise<void> {
    this.statuses.push(events);
    if (this.failStatus) throw new Error('status down');
  }
  async replaced(pairs: { now: Session; old: Session }[]): Promise<void> {
    this.replacedPairs.push(pairs);
  }
}

async function serve(): Promise<{ coordinator: RecordingCoordinator; address: string; stop: () => Promise<void> }> {
  const coordinator = new RecordingCoordinator();
  const server = createRpcServer({ host: '127.0.0.1', port: 0, log });
  server.add(coordinatorRpcService, coordinatorRpcHandlers(coordinator));
  await server.start();
  return { coordinator, address: server.address(), stop: () => server.stop() };
}

describe('coordinator RPC', () => {
  test('upstream, status and replaced batches arrive whole and unchanged; optional fields stay absent', async () => {
    const s = await serve();
    const client = createCoordinatorClient({ addresses: [s.address], deadlineMs: 3000 }, log);
    try {
      const ups: UpstreamRequest[] = [
        { app: 'a', device: 'd1', user: 'u1', type: 'chat', payload: Buffer.from([9, 0, 8]), roomId: 'r1', connId: 'c1', seq: 4_294_967_295 },
        { app: 'a', device: 'd2', type: 'ping', payload: Buffer.alloc(0), roomId: 'r1', connId: 'c2', seq: 0 },
      ];
      await client.upstream(ups);
      assert.deepEqual(s.coordinator.upstreams, [ups]);

      const events: StatusEvent[] = [
        { app: 'a', device: 'd1', user: 'u1', roomId: 'r1', online: true, time: 1_763_000_000_123, reason: 'connect' },
        { app: 'a', device: 'd2', roomId: 'r2', online: false, time: 1_763_000_000_456, reason: 'heartbeat_timeout' },
      ];
      await client.status(events);
      assert.deepEqual(s.coordinator.statuses, [events]);

      const now: Session = { app: 'a', device: 'd1', user: 'u1', roomId: 'r2', connId: 'c9', since: 1_763_000_001_000, platform: 'ios', network: 'wifi' };
      const old: Session = { app: 'a', device: 'd1', roomId: 'r1', connId: 'c1', since: 1_763_000_000_000 };
      await client.replaced([{ now, old }]);
      assert.deepEqual(s.coordinator.replacedPairs, [[{ now, old }]]);

      await Promise.all([client.upstream([]), client.status([]), client.replaced([])]);
      assert.equal(s.coordinator.upstreams.length + s.coordinator.statuses.length + s.coordinator.replacedPairs.length, 3, 'empty batches make no call');

      s.coordinator.failStatus = true;
      await assert.rejects(client.status(events), (err: unknown) => err instanceof RpcError && err.code === RpcCode.Internal && /status down/.test(err.message));
    } finally {
      client.close();
      await s.stop();
    }
  });

  test('a malformed batch is refused whole with INVALID_ARGUMENT naming the field', async () => {
    const s = await serve();
    const raw = createRpcClient(coordinatorRpcService, { addresses: [s.address] }, log);
    try {
      const good = { app: 'a', device: 'd', type: 't', roomId: 'r', connId: 'c', seq: 1 };
      await assert.rejects(raw.call('upstream', { requests: [good, { ...good, type: '' }] }), (err: unknown) => err instanceof RpcError && err.code === RpcCode.InvalidArgument && /requests\[1\]\.type/.test(err.message));
      await assert.rejects(raw.call('replaced', { pairs: [{ now: { ...good, since: 1 } }] }), /pairs\[0\]\.old: must be a message/);
      await assert.rejects(raw.call('status', { events: [{ app: 'a', device: 'd', online: true }] }), /events\[0\]\.roomId: must not be empty/);
      assert.equal(s.coordinator.upstreams.length + s.coordinator.statuses.length + s.coordinator.replacedPairs.length, 0);
      await raw.call('upstream', { requests: [good] });
      assert.equal(s.coordinator.upstreams.length, 1, 'still serving');
    } finally {
      raw.close();
      await s.stop();
    }
  });

  test('several addresses: calls spread over them; one down is skipped for replaced (idempotent)', async () => {
    const [a, b] = await Promise.all([serve(), serve()]);
    const client = createCoordinatorClient({ addresses: [a.address, b.address], deadlineMs: 2000 }, log);
    const pair = { now: { app: 'a', device: 'd', roomId: 'r2', connId: 'c2', since: 2 }, old: { app: 'a', device: 'd', roomId: 'r1', connId: 'c1', since: 1 } };
    try {
      for (let i = 0; i < 4; i++) await client.replaced([pair]);
      assert.equal(a.coordinator.replacedPairs.length, 2);
      assert.equal(b.coordinator.replacedPairs.length, 2);
      await a.stop();
      for (let i = 0; i < 4; i++) await client.replaced([pair]);
      assert.equal(b.coordinator.replacedPairs.length, 6, 'every call landed on the live coordinator');
    } finally {
      client.close();
      await a.stop();
      await b.stop();
    }
  });
});
