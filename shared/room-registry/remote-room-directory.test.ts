import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findRoom, type DeliverResult, type RoomService } from '../contracts/room';
import { createLogger } from '../log/log';
import { createRpcServer } from '../rpc/grpc-server';
import type { RpcServer } from '../rpc/rpc';
import { roomRpcHandlers, roomRpcService } from '../../services/room/rpc/room-rpc-handlers';
import { createMemoryRoomRegistry } from './memory-room-registry';
import { createRemoteRoomDirectory } from './remote-room-directory';
import type { RoomInfo } from './room-registry';

const log = createLogger({ test: 'remote-room-directory' }, 'error');

/** A room that answers reflush() with a number of its own, so a call shows which room it reached. */
function fakeRoom(id: string, sessions: number): RoomService {
  const none: DeliverResult = { sent: 0, missing: 0, refused: 0 };
  return { id, deliver: async () => none, reply: async () => 0, kick: async () => 0, drain: async () => undefined, reflush: async () => sessions };
}

async function serveRoom(room: RoomService): Promise<RpcServer> {
  const server = createRpcServer({ host: '127.0.0.1', port: 0, log });
  server.add(roomRpcService, roomRpcHandlers(room));
  await server.start();
  return server;
}

function info(id: string, rpc?: string): Omit<RoomInfo, 'updatedAt'> {
  return { id, urls: [`ws://127.0.0.1:1/${id}`], zone: 'z', networks: [], rpc, connections: 0, capacity: 10, draining: false };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('remote room directory', () => {
  test('resolves each announced room to a client of that room; a withdrawn room disappears after refresh', async () => {
    const registry = createMemoryRoomRegistry();
    const servers = await Promise.all([serveRoom(fakeRoom('r1', 11)), serveRoom(fakeRoom('r2', 22))]);
    const dir = createRemoteRoomDirectory(registry, { refreshMs: 60_000 }, log);
    try {
      await registry.announce(info('r1', servers[0].address()), 10_000);
      await registry.announce(info('r2', servers[1].address()), 10_000);
      await registry.announce(info('no-rpc'), 10_000);
      await dir.refresh();
      const r1 = dir.room('r1');
      const r2 = dir.room('r2');
      assert.ok(r1 && r2);
      assert.equal(r1.id, 'r1');
      assert.equal(await r1.reflush(), 11);
      assert.equal(await r2.reflush(), 22);
      assert.equal(dir.room('no-rpc'), undefined, 'a room without an rpc address is not reachable');
      await dir.refresh();
      assert.equal(dir.room('r1'), r1, 'the client is reused across refreshes');

      await registry.withdraw('r2');
      assert.equal(dir.room('r2'), r2, 'served from the cache until the next refresh');
      await dir.refresh();
      assert.equal(dir.room('r2'), undefined);
      await assert.rejects(r2.reflush(), /not in the registry/, 'calls to a room that left fail');
      assert.equal(await dir.room('r1')!.reflush(), 11);
    } finally {
      dir.close();
      await Promise.all(servers.map((s) => s.stop()));
      await registry.close();
    }
  });

  test('a miss answers undefined and triggers a refresh; a moved room gets a new client; an expired announce drops out', async () => {
    const registry = createMemoryRoomRegistry();
    const [a, b] = await Promise.all([serveRoom(fakeRoom('m', 1)), serveRoom(fakeRoom('m', 2))]);
    const dir = createRemoteRoomDirectory(registry, { refreshMs: 60_000 }, log);
    try {
      await dir.refresh();
      await registry.announce(info('m', a.address()), 300);
      assert.equal(dir.room('m'), undefined, 'not known yet');
      const deadline = Date.now() + 2000;
      while (!dir.room('m') && Date.now() < deadline) await sleep(20);
      const first = dir.room('m');
      assert.ok(first, 'found after the refresh the miss started');
      assert.equal(await first.reflush(), 1);

      await registry.announce(info('m', b.address()), 300);
      await dir.refresh();
      assert.equal(dir.room('m'), first, 'callers keep one object per room');
      assert.equal(await first.reflush(), 2, 'which follows the room to its new address');

      await sleep(350);
      await dir.refresh();
      assert.equal(dir.room('m'), undefined, 'a room that stopped announcing is gone');
    } finally {
      dir.close();
      dir.close();
      await Promise.all([a.stop(), b.stop()]);
      await registry.close();
    }
  });

  test('refreshes by itself every refreshMs; a failing registry keeps the rooms known', async () => {
    const registry = createMemoryRoomRegistry();
    let failing = false;
    const flaky = { ...registry, list: async () => (failing ? Promise.reject(new Error('registry down')) : registry.list()) };
    const made: string[] = [];
    const dir = createRemoteRoomDirectory(flaky, { refreshMs: 30, connect: (i) => (made.push(i.rpc), { ...fakeRoom(i.id, 0), close: () => undefined }) }, log);
    try {
      await registry.announce(info('t', '127.0.0.1:9'), 10_000);
      const deadline = Date.now() + 2000;
      while (!dir.room('t') && Date.now() < deadline) await sleep(10);
      assert.equal(dir.room('t')?.id, 't');
      failing = true;
      await assert.rejects(dir.refresh(), /registry down/);
      await sleep(100);
      assert.equal(dir.room('t')?.id, 't', 'kept while the registry fails');
      assert.deepEqual(made, ['127.0.0.1:9'], 'one client made, reused');
    } finally {
      dir.close();
      await registry.close();
    }
  });

  test('find() reads the registry again for a room that joined after the last refresh', async () => {
    const registry = createMemoryRoomRegistry();
    const dir = createRemoteRoomDirectory(registry, { refreshMs: 60_000, connect: (i) => ({ ...fakeRoom(i.id, 0), close: () => undefined }) }, log);
    try {
      await dir.refresh();
      await registry.announce(info('late', '127.0.0.1:9'), 10_000);
      assert.equal(await findRoom(dir, 'nowhere'), undefined);
      assert.equal((await findRoom(dir, 'late'))?.id, 'late');
    } finally {
      dir.close();
      await registry.close();
    }
  });

  test('a call to a room that restarted on another address is sent again there', async () => {
    const registry = createMemoryRoomRegistry();
    const [a, b] = await Promise.all([serveRoom(fakeRoom('re', 1)), serveRoom(fakeRoom('re', 2))]);
    const dir = createRemoteRoomDirectory(registry, { refreshMs: 60_000, deadlineMs: 1000 }, log);
    try {
      await registry.announce(info('re', a.address()), 10_000);
      const room = await findRoom(dir, 're');
      assert.equal(await room?.reflush(), 1);
      await a.stop();
      await registry.announce(info('re', b.address()), 10_000);
      assert.equal(await room?.reflush(), 2, 'UNAVAILABLE at the old address, then the new one');
      await b.stop();
      await assert.rejects(dir.room('re')!.reflush(), /UNAVAILABLE/, 'not moved: the error stands');
    } finally {
      dir.close();
      await registry.close();
    }
  });

  test('a call to a room restarted at the same address goes over a new channel', async () => {
    const registry = createMemoryRoomRegistry();
    const first = await serveRoom(fakeRoom('same', 1));
    const address = first.address();
    const dir = createRemoteRoomDirectory(registry, { refreshMs: 60_000, deadlineMs: 1000 }, log);
    let second: RpcServer | undefined;
    try {
      await registry.announce(info('same', address), 10_000);
      const room = await findRoom(dir, 'same');
      assert.equal(await room?.reflush(), 1);
      await first.stop();
      await assert.rejects(room!.reflush(), /UNAVAILABLE/, 'nothing listens there now');
      second = createRpcServer({ host: '127.0.0.1', port: Number(address.split(':')[1]), log });
      second.add(roomRpcService, roomRpcHandlers(fakeRoom('same', 3)));
      await second.start();
      assert.equal(await room!.reflush(), 3);
    } finally {
      dir.close();
      await second?.stop();
      await registry.close();
    }
  });
});
