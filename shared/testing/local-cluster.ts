/**
 * A local Herald cluster: every service its own process on free ports of this machine, on a
 * Redis and a MySQL/MariaDB given by URL. The cluster launcher (scripts/cluster.ts) and the
 * cluster test suite (services/cluster-tests/) both start one through createLocalCluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppStore } from '../apps/app-store';
import type { App } from '../contracts/apps';
import { roomNodeOptions } from '../lifecycle/node-flags';
import { createLogger } from '../log/log';
import { createServiceProcess, type ServiceName, type ServiceProcess } from './service-process';
import { freePort } from './test-services';

export interface LocalClusterOptions {
  redisUrl: string;
  /** MySQL URL with the database, e.g. mysql://root@127.0.0.1:3306/herald (created beforehand). */
  mysqlUrl: string;
  /** Prefix of every Redis key the cluster writes (default 'herald:'). */
  prefix?: string;
  rooms?: number;
  centers?: number;
  /** Admin token of the centers ('' = admin API off). */
  adminToken?: string;
  /** Apps put in MySQL before the services start (e.g. the demo app). */
  apps?: App[];
  /** Extra HERALD_* variables per service, over the cluster's own. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** HERALD_LOG_LEVEL of every process (default 'warn'). */
  logLevel?: string;
  /** Folder for the logs; default a new temp dir, removed by stop() unless keepLogs. */
  dir?: string;
  keepLogs?: boolean;
}

/** host:port lists and URLs of a started cluster. */
export interface ClusterAddresses {
  register: string[];
  saver: string[];
  coordinator: string[];
  /** RPC address of each room. */
  roomRpc: string[];
  /** WebSocket URL of each room. */
  rooms: string[];
  /** Base URL of each center's HTTP API. */
  centers: string[];
  dispatcher: string;
}

export interface LocalCluster {
  readonly dir: string;
  readonly addresses: ClusterAddresses;
  readonly processes: ServiceProcess[];
  /** A process by name: 'register', 'saver', 'coordinator', 'dispatcher', 'room-1', 'center-2', ... */
  process(name: string): ServiceProcess;
  /** Starts everything in dependency order; waits for each to be ready. */
  start(): Promise<void>;
  /** Stops every process (SIGTERM, SIGKILL after graceMs), then removes the log dir unless keepLogs. Safe twice. */
  stop(graceMs?: number): Promise<void>;
}

const HOST = '127.0.0.1';
const at = (port: number): string => `${HOST}:${port}`;

interface Ports {
  register: number;
  registerHttp: number;
  saver: number;
  saverHttp: number;
  coordinator: number;
  coordinatorHttp: number;
  dispatcher: number;
  rooms: number[];
  roomRpc: number[];
  centers: number[];
}

async function allocate(rooms: number, centers: number): Promise<Ports> {
  const many = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await freePort());
    return out;
  };
  const [register, registerHttp, saver, saverHttp, coordinator, coordinatorHttp, dispatcher] = await many(7);
  return { register, registerHttp, saver, saverHttp, coordinator, coordinatorHttp, dispatcher, rooms: await many(rooms), roomRpc: await many(rooms), centers: await many(centers) };
}

/** Puts the apps in the MySQL apps table (creating it) unless an app with the id exists. */
export async function seedApps(mysqlUrl: string, apps: App[]): Promise<void> {
  const store = await createAppStore({ driver: 'mysql', mysqlUrl, apps, log: createLogger({ component: 'seed' }, 'warn') });
  await store.close();
}

/** Builds the processes of a cluster; start() runs them. */
export async function createLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const ports = await allocate(o.rooms ?? 2, o.centers ?? 2);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'herald-cluster-'));
  const addresses: ClusterAddresses = {
    register: [at(ports.register)],
    saver: [at(ports.saver)],
    coordinator: [at(ports.coordinator)],
    roomRpc: ports.roomRpc.map(at),
    rooms: ports.rooms.map((p) => `ws://${at(p)}/ws`),
    centers: ports.centers.map((p) => `http://${at(p)}`),
    dispatcher: `http://${at(ports.dispatcher)}`,
  };
  const specs = processSpecs(o, ports, addresses, dir);
  const processes = specs.map((s) => createServiceProcess(s));
  const byName = new Map(processes.map((p) => [p.spec.name, p]));
  const get = (name: string): ServiceProcess => {
    const p = byName.get(name);
    if (!p) throw new Error(`local cluster: no process ${name} (have ${[...byName.keys()].join(', ')})`);
    return p;
  };
  const group = (prefix: string): ServiceProcess[] => processes.filter((p) => p.spec.name === prefix || p.spec.name.startsWith(`${prefix}-`));
  let stopping: Promise<void> | undefined;

  return {
    dir,
    addresses,
    processes,
    process: get,
    async start() {
      if (o.apps && o.apps.length > 0) await seedApps(o.mysqlUrl, o.apps);
      // Stages: stores first, then who calls them, then the public edge; the rooms announce
      // themselves before the centers start, so a center finds them on its first registry read.
      for (const stage of [['register', 'saver'], ['coordinator', 'dispatcher'], ['room'], ['center']]) {
        await Promise.all(stage.flatMap(group).map((p) => p.start()));
      }
    },
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        // The edge first, so no new work reaches the stores while they stop.
        for (const stage of [['center', 'dispatcher'], ['room'], ['coordinator'], ['register', 'saver']]) {
          await Promise.all(stage.flatMap(group).map((p) => p.stop(graceMs)));
        }
        if (!o.keepLogs && !o.dir) rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

type Env = Record<string, string>;

/** Variables every service gets, and those for each service (the names their config.ts define). */
function processSpecs(o: LocalClusterOptions, ports: Ports, a: ClusterAddresses, dir: string) {
  const prefix = o.prefix ?? 'herald:';
  const stores = (section: string): Env => ({
    [`HERALD_${section}_REDIS_URL`]: o.redisUrl,
    [`HERALD_${section}_MYSQL_URL`]: o.mysqlUrl,
    [`HERALD_${section}_PREFIX`]: prefix,
  });
  const peers = (section: string): Env => ({
    [`HERALD_${section}_REGISTER_ADDRESSES`]: a.register.join(','),
    [`HERALD_${section}_SAVER_ADDRESSES`]: a.saver.join(','),
    [`HERALD_${section}_COORDINATOR_ADDRESSES`]: a.coordinator.join(','),
  });
  const common: Env = { HERALD_LOG_LEVEL: o.logLevel ?? 'warn', HERALD_CONFIG: '' };
  const spec = (name: string, service: ServiceName, env: Env, ready: ({ http: string } | { tcp: number })[]) => ({
    name,
    service,
    env: { ...common, ...env, ...o.env?.[service] },
    ready,
    logFile: join(dir, `${name}.log`),
  });
  const http = (port: number) => ({ http: `http://${at(port)}` });
  const rpc = (section: string, port: number): Env => ({ [`HERALD_${section}_RPC_HOST`]: HOST, [`HERALD_${section}_RPC_PORT`]: String(port) });
  const list = [
    spec('register', 'register', {
      ...stores('REGISTER'), ...rpc('REGISTER', ports.register),
      HERALD_REGISTER_DRIVER: 'redis', HERALD_REGISTER_HTTP_HOST: HOST, HERALD_REGISTER_HTTP_PORT: String(ports.registerHttp),
    }, [http(ports.registerHttp), { tcp: ports.register }]),
    spec('saver', 'saver', {
      ...stores('SAVER'), ...rpc('SAVER', ports.saver),
      HERALD_SAVER_DRIVER: 'redis', HERALD_SAVER_HOST: HOST, HERALD_SAVER_PORT: String(ports.saverHttp),
    }, [http(ports.saverHttp), { tcp: ports.saver }]),
    spec('coordinator', 'coordinator', {
      ...stores('COORDINATOR'), ...peers('COORDINATOR'), ...rpc('COORDINATOR', ports.coordinator),
      HERALD_COORDINATOR_DRIVER: 'cluster', HERALD_COORDINATOR_HOST: HOST, HERALD_COORDINATOR_PORT: String(ports.coordinatorHttp),
    }, [http(ports.coordinatorHttp), { tcp: ports.coordinator }]),
    spec('dispatcher', 'dispatcher', {
      HERALD_DISPATCHER_REGISTRY_DRIVER: 'redis', HERALD_DISPATCHER_REDIS_URL: o.redisUrl, HERALD_DISPATCHER_PREFIX: prefix,
      HERALD_DISPATCHER_HOST: HOST, HERALD_DISPATCHER_PORT: String(ports.dispatcher), HERALD_DISPATCHER_CACHE_MS: '200',
    }, [http(ports.dispatcher)]),
  ];
  ports.rooms.forEach((port, i) => {
    const env: Env = {
      ...stores('ROOM'), ...peers('ROOM'), ...rpc('ROOM', ports.roomRpc[i]),
      HERALD_ROOM_DRIVER: 'cluster', HERALD_ROOM_ID: `room-${i + 1}`, HERALD_ROOM_HOST: HOST, HERALD_ROOM_PORT: String(port),
      NODE_OPTIONS: roomNodeOptions(),
    };
    list.push(spec(`room-${i + 1}`, 'room', env, [http(port), { tcp: ports.roomRpc[i] }]));
  });
  ports.centers.forEach((port, i) => {
    const env: Env = {
      ...stores('CENTER'), ...peers('CENTER'),
      HERALD_CENTER_DRIVER: 'cluster', HERALD_CENTER_APPS_DRIVER: 'mysql', HERALD_CENTER_HOST: HOST, HERALD_CENTER_PORT: String(port),
      HERALD_CENTER_ADMIN_TOKEN: o.adminToken ?? '',
    };
    list.push(spec(`center-${i + 1}`, 'center', env, [http(port)]));
  });
  return list;
}
