/**
 * `npm run cluster`: a local cluster for development. Starts a private Redis and MariaDB
 * (shared/testing/test-services.ts), creates the database and the demo app, then every
 * service as its own process (2 rooms, 2 centers, one register, saver, coordinator and
 * dispatcher) on free ports, prints the URLs, and runs until Ctrl-C, which stops the
 * services by PID, then Redis and MariaDB. Logs: one file per process in a temp dir.
 *
 * Options: --rooms N, --centers N (1..8), --keep-logs (leave the log dir in place).
 */
import { parseArgs } from 'node:util';
import { demoApp } from '../services/standalone/demo-app';
import { createLocalCluster, type LocalCluster } from '../shared/testing/local-cluster';
import { createDatabase } from '../shared/testing/mysql-create-database';
import { startMariadb, startRedis, type TestServer } from '../shared/testing/test-services';

const DATABASE = 'herald';

function count(raw: string | undefined, name: string): number {
  const n = raw === undefined ? 2 : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`--${name} must be an integer from 1 to 8`);
  return n;
}

function banner(c: LocalCluster, redis: TestServer, mysql: TestServer): string {
  const a = c.addresses;
  const pids = c.processes.map((p) => `${p.spec.name}=${p.pid()}`).join(' ');
  return [
    '',
    'Herald cluster is running (every service its own process)',
    `  center (HTTP API)    ${a.centers.join(' ')}`,
    `  dispatcher           ${a.dispatcher}/v1/dispatch`,
    `  room (WebSocket)     ${a.rooms.join(' ')}`,
    `  register (RPC)       ${a.register.join(' ')}`,
    `  saver (RPC)          ${a.saver.join(' ')}`,
    `  coordinator (RPC)    ${a.coordinator.join(' ')}`,
    `  redis                ${redis.url} (pid ${redis.pid})`,
    `  mariadb              ${mysql.url}/${DATABASE} (pid ${mysql.pid})`,
    `  demo app             id ${demoApp.id}  API key ${demoApp.apiKeys[0]}`,
    `  processes            ${pids}`,
    `  logs                 ${c.dir}`,
    '  try: curl -H "authorization: Bearer demo-api-key-change-me" -H "content-type: application/json" \\',
    `         -d '{"to":{"all":true},"payload":"hello"}' ${a.centers[0]}/v1/apps/demo/messages`,
    'Ctrl-C stops all of it.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rooms: { type: 'string' }, centers: { type: 'string' }, 'keep-logs': { type: 'boolean' } } });
  const rooms = count(values.rooms, 'rooms');
  const centers = count(values.centers, 'centers');
  process.stdout.write('cluster: starting a private redis-server and mariadbd...\n');
  const servers: TestServer[] = [];
  let cluster: LocalCluster | undefined;
  let stopping = false;
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\ncluster: stopping the services, then Redis and MariaDB...\n');
    try {
      await cluster?.stop();
      await Promise.all(servers.map((s) => s.stop()));
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  try {
    const [redis, mysql] = await Promise.all([startRedis(), startMariadb()]);
    servers.push(redis, mysql);
    const mysqlUrl = await createDatabase(mysql.url, DATABASE);
    cluster = await createLocalCluster({ redisUrl: redis.url, mysqlUrl, rooms, centers, apps: [demoApp], logLevel: 'info', keepLogs: values['keep-logs'] });
    process.stdout.write(`cluster: starting ${cluster.processes.length} services (logs in ${cluster.dir})...\n`);
    await cluster.start();
    process.stdout.write(banner(cluster, redis, mysql));
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n`);
    await stopAll(1);
  }
}

void main();
