import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseCode } from '../../shared/protocol/codes';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import { APP, eventually, startRoom, TestClient, token } from './test-harness';

describe('room: graceful drain', () => {
  test('clients get a Redirect to the other room and close Draining in batches; the registry says draining; resolves when empty', async () => {
    const registry = createMemoryRoomRegistry();
    const a = await startRoom({ graceMs: 5000 }, { registry });
    const b = await startRoom({}, { registry });
    try {
      const clients = await Promise.all(['d1', 'd2', 'd3'].map((d) => TestClient.authed(a.url, [token(d)])));
      const started = Date.now();
      const drained = a.room.drain({ batchSize: 2, intervalMs: 100, deadlineMs: 10_000 });
      await eventually(async () => (await registry.list()).find((r) => r.id === a.room.id)?.draining === true);
      for (const { client } of clients) {
        const redirect = await client.nextOf('redirect');
        assert.deepEqual(redirect.redirect!.urls, [b.url]);
        assert.equal((await client.closed).code, CloseCode.Draining);
      }
      await drained;
      assert.ok(Date.now() - started >= 90, 'the second batch waited intervalMs');
      assert.equal(a.room.connectionCount(), 0);
      // No grace for drained sessions: unregistered at once, reported offline.
      await eventually(async () => (await a.register.lookupDevices(APP.id, ['d1', 'd2', 'd3'])).length === 0);
      await eventually(() => a.coordinator.events().filter((e) => !e.online && e.reason === 'drain').length === 3);
      await assert.rejects(TestClient.connect(a.url), /503/);
      assert.equal((await fetch(`${a.httpUrl}/readyz`)).status, 503);
      // Room B is no one's redirect target only because it is not draining: it still takes clients.
      const { client } = await TestClient.authed(b.url, [token('d1')]);
      client.close();
    } finally {
      await a.stop();
      await b.stop();
      await registry.close();
    }
  });

  test('the deadline closes whatever is left; sessions kept for a resume end at once; stop() after drain is fine', async () => {
    const a = await startRoom({ graceMs: 60_000 });
    try {
      const dropped = await TestClient.authed(a.url, [token('g1')]);
      dropped.client.close();
      await eventually(() => a.room.connectionCount() === 0);
      assert.equal((await a.register.lookupDevices(APP.id, ['g1'])).length, 1, 'kept for its grace period');
      const clients = await Promise.all(['e1', 'e2', 'e3'].map((d) => TestClient.authed(a.url, [token(d)])));
      const started = Date.now();
      await a.room.drain({ batchSize: 1, intervalMs: 60_000, deadlineMs: 150 });
      const took = Date.now() - started;
      assert.ok(took >= 140 && took < 2000, `resolved at the deadline (${took} ms)`);
      for (const { client } of clients) {
        assert.deepEqual((await client.nextOf('redirect')).redirect!.urls, [], 'no other room: an empty list');
        assert.equal((await client.closed).code, CloseCode.Draining);
      }
      await eventually(async () => (await a.register.lookupDevices(APP.id, ['g1', 'e1', 'e2', 'e3'])).length === 0);
    } finally {
      await a.stop();
    }
  });
});
