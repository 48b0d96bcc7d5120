/**
 * A local cluster as a load-test target: every service its own process
 * (shared/testing/local-cluster.ts) on a given Redis and MySQL, one room and one center. The
 * figures are the room process's alone: its pid for /proc, its own /metrics. This is how a
 * room runs in production, with the register's sessions in Redis, not in the room's heap.
 */
import { demoApp } from '../services/standalone/demo-app';
import { createLocalCluster } from '../shared/testing/local-cluster';
import type { Target } from './target';
import { roomMetricsUrl, serverEnv } from './target';

export interface ClusterTargetOptions {
  redisUrl: string;
  /** With the database, created beforehand. */
  mysqlUrl: string;
  capacity: number;
}

export async function startClusterRoom(o: ClusterTargetOptions): Promise<Target> {
  const cluster = await createLocalCluster({
    redisUrl: o.redisUrl,
    mysqlUrl: o.mysqlUrl,
    // A private key prefix, so a run never meets another run's (or a test's) keys.
    prefix: `loadtest-cluster-${process.pid}-${Date.now()}:`,
    rooms: 1,
    centers: 1,
    apps: [demoApp],
    env: { room: { ...serverEnv, HERALD_ROOM_CAPACITY: String(o.capacity) } },
  });
  try {
    await cluster.start();
  } catch (err) {
    await cluster.stop(2000);
    throw err;
  }
  const room = cluster.process('room-1');
  const roomUrl = cluster.addresses.rooms[0];
  return {
    kind: 'herald',
    roomUrl,
    apiUrl: cluster.addresses.centers[0],
    metricsUrl: roomMetricsUrl(roomUrl),
    pid: room.pid(),
    stderrLines: () => 0,
    async stop(killAfterMs = 15_000) {
      const t0 = Date.now();
      await cluster.stop(killAfterMs);
      return Date.now() - t0;
    },
  };
}
