import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAppStore } from '../../../shared/apps/app-store';
import { loadConfig } from '../../../shared/config/config';
import { createLogger } from '../../../shared/log/log';
import { createRegistry } from '../../../shared/metrics/metrics';
import { ErrorCode } from '../../../shared/protocol/codes';
import { createRedisRoomRegistry } from '../../../shared/room-registry/redis-room-registry';
import { createRemoteRoomDirectory } from '../../../shared/room-registry/remote-room-directory';
import { createRpcServer } from '../../../shared/rpc/grpc-server';
import { testRedisUrl, uniquePrefix } from '../../../shared/testing/env';
import { freshMysqlDatabase } from '../../../shared/testing/mysql-test-db';
import { coordinatorSchema } from '../../coordinator/config';
import { createClusterCoordinator } from '../../coordinator/rpc/cluster-coordinator';
import { registerSchema } from '../../register/config';
import { createRegister } from '../../register/register';
import { registerRpcHandlers } from '../../register/rpc/register-rpc-server';
import { REGISTER_RPC } from '../../register/rpc/register-wire';
import { saverSchema } from '../../saver/config';
import { SaverRpc } from '../../saver/rpc/saver-rpc-map';
import { saverRpcHandlers } from '../../saver/rpc/saver-rpc-server';
import { createSaver } from '../../saver/saver';
import { loadRoomConfig } from '../config';
import { APP, message, TestClient, token } from '../test-harness';
import { createClusterRoom } from './cluster-room';

const log = createLogger({ test: 'room-cluster' }, 'error');
/** The demo app with a secret long enough for the app store's checks. */
const CLUSTER_APP = { ...APP, secret: 'cluster-test-secret-0123456789', apiKeys: ['k-cluster-test-0123456789'] };

/** Register and saver (memory backends) served over RPC, as their own processes would. */
async function peers() {
  const metrics = createRegistry();
  const register = createRegister(loadConfig('register', registerSchema, { driver: 'memory' }, {}), { log, metrics });
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory', cleanupIntervalMs: 0 }, {}), { log, metrics });
  await Promise.all([register.start(), saver.start()]);
  const server = createRpcServer({ host: '127.0.0.1', port: 0, log });
  server.add(REGISTER_RPC, registerRpcHandlers(register));
  server.add(SaverRpc, saverRpcHandlers(saver));
  await server.start();
  return {
    register,
    saver,
    address: server.address(),
    async stop() {
      await server.stop();
      await Promise.all([register.stop(), saver.stop()]);
    },
  };
}

describe('cluster mode: room and coordinator as separate services over RPC', () => {
  test('the room announces its RPC address; deliver through the directory; upstream -> coordinator -> Reply back over RPC; stop withdraws', async () => {
    const mysqlUrl = await freshMysqlDatabase();
    const seed = await createAppStore({ driver: 'mysql', mysqlUrl, apps: [CLUSTER_APP], log });
    await seed.close();
    const prefix = uniquePrefix('cluster');
    const redisUrl = testRedisUrl();
    const p = await peers();
    const coord = await createClusterCoordinator(
      loadConfig('coordinator', coordinatorSchema, { driver: 'cluster', redisUrl, mysqlUrl, prefix, registerAddresses: [p.address], rpcPort: 0, port: 0, roomRefreshMs: 100 }, {}),
      { log, metrics: createRegistry() },
    );
    await coord.start();
    const given = { driver: 'cluster' as const, port: 0, rpcPort: 0, redisUrl, mysqlUrl, prefix, graceMs: 0, announceIntervalMs: 100 };
    const addresses = { registerAddresses: [p.address], saverAddresses: [p.address], coordinatorAddresses: [coord.rpcAddress()] };
    const cr = await createClusterRoom(loadRoomConfig({ ...given, ...addresses }, {}), { log, metrics: createRegistry() });
    const registry = createRedisRoomRegistry({ redisUrl, prefix });
    const dir = createRemoteRoomDirectory(registry, { refreshMs: 60_000 }, log);
    try {
      await cr.start();
      const [info] = await registry.list();
      assert.equal(info.id, cr.room.id);
      assert.equal(info.rpc, cr.rpcAddress());
      assert.match(info.rpc!, /^127\.0\.0\.1:\d+$/);
      await dir.refresh();
      const remote = dir.room(cr.room.id);
      assert.ok(remote, 'the directory resolves the room');

      const { client } = await TestClient.authed(cr.room.urls()[0], [token('cd1', { secret: CLUSTER_APP.secret })]);
      const [session] = await p.register.lookupDevices(APP.id, ['cd1']);
      assert.equal(session?.roomId, cr.room.id, 'registered through the register RPC');
      const m = message('cm1');
      await p.saver.store(m, [{ app: APP.id, device: 'cd1' }]);
      assert.deepEqual(await remote.deliver([{ connId: session.connId, app: APP.id, device: 'cd1', message: m }]), { sent: 1, missing: 0, refused: 0 });
      assert.equal((await client.nextOf('push')).push!.id, 'cm1');

      // No webhook route for the type: the coordinator answers NoRoute through the room's RPC.
      const seq = client.send({ upstream: { app: APP.id, type: 'chat', payload: Buffer.from('hi') } });
      const reply = await client.nextOf('reply', 5000);
      assert.equal(reply.seq, seq);
      assert.equal(reply.reply!.code, ErrorCode.NoRoute);
      client.close();

      await cr.stop();
      assert.deepEqual(await registry.list(), [], 'withdrawn at stop');
      await dir.refresh();
      assert.equal(dir.room(cr.room.id), undefined);
    } finally {
      dir.close();
      await cr.stop();
      await coord.stop();
      await coord.stop();
      await registry.close();
      await p.stop();
    }
  });
});

describe('cluster mode: config', () => {
  test('room and coordinator options: driver from the environment, bad cluster options named', () => {
    const room = loadRoomConfig({}, { HERALD_ROOM_DRIVER: 'cluster', HERALD_ROOM_REGISTER_ADDRESSES: 'a:1, b:2', HERALD_ROOM_RPC_PORT: '0' });
    assert.equal(room.driver, 'cluster');
    assert.deepEqual(room.registerAddresses, ['a:1', 'b:2']);
    assert.equal(room.rpcPort, 0);
    assert.equal(loadRoomConfig({}, {}).rpcPort, 7010);
    assert.throws(() => loadRoomConfig({}, { HERALD_ROOM_DRIVER: 'redis' }), /room\.driver: must be one of: memory, cluster/);
    assert.throws(() => loadRoomConfig({ driver: 'cluster', saverAddresses: [] }, {}), /room\.saverAddresses: the cluster driver needs at least one address/);
    assert.throws(() => loadRoomConfig({ driver: 'cluster', rpcHost: '0.0.0.0' }, {}), /room\.rpcAddress: must be set/);
    assert.equal(loadRoomConfig({ driver: 'cluster', rpcHost: '0.0.0.0', rpcAddress: 'room-1.internal:7010' }, {}).rpcAddress, 'room-1.internal:7010');
    const coordinator = loadConfig('coordinator', coordinatorSchema, {}, { HERALD_COORDINATOR_DRIVER: 'cluster' });
    assert.equal(coordinator.driver, 'cluster');
    assert.equal(coordinator.rpcPort, 7003);
    assert.throws(() => loadConfig('coordinator', coordinatorSchema, { roomRefreshMs: 0 }, {}), /coordinator\.roomRefreshMs/);
  });
});
