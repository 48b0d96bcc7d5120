import { createAppStore } from '../../shared/apps/app-store';
import { loadAppsFile } from '../../shared/apps/apps-file';
import { loadConfig } from '../../shared/config/config';
import type { AppStore } from '../../shared/contracts/apps';
import type { RoomDirectory } from '../../shared/contracts/room';
import type { SaverService } from '../../shared/contracts/saver';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import type { Registry } from '../../shared/metrics/metrics';
import { createQueue } from '../../shared/queue/create-queue';
import type { Queue } from '../../shared/queue/queue';
import { createRoomRegistry } from '../../shared/room-registry/create-room-registry';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import { createCenter, type Center } from '../center/center';
import { centerSchema, type CenterConfig } from '../center/config';
import { coordinatorSchema } from '../coordinator/config';
import { createCoordinator } from '../coordinator/coordinator';
import { dispatcherSchema } from '../dispatcher/config';
import { createDispatcher, type Dispatcher } from '../dispatcher/dispatcher';
import { registerSchema } from '../register/config';
import { createRegister } from '../register/register';
import { loadRoomConfig, type RoomConfig } from '../room/config';
import { createRoom, type Room } from '../room/room';
import { saverSchema } from '../saver/config';
import { createSaver } from '../saver/saver';
import { createSaverThread } from '../saver/thread/saver-thread';
import { standaloneSchema, type StandaloneConfig, type StandaloneOptions } from './config';
import { ensureDemoApp } from './demo-app';

/** All six services in one process, wired with in-process calls. */
export interface Standalone extends Service {
  readonly config: StandaloneConfig;
  /** The first room; rooms() lists every one. */
  room(): Room;
  rooms(): Room[];
  /** The first center; centers() lists every one. */
  center(): Center;
  centers(): Center[];
  dispatcher(): Dispatcher;
  apps(): AppStore;
  saver(): SaverService;
  queue(): Queue;
  /** Whether start() created the built-in demo app. */
  demoAppCreated(): boolean;
}

export interface StandaloneDeps {
  log: Logger;
  metrics: Registry;
  env?: NodeJS.ProcessEnv;
}

async function openApps(cfg: StandaloneConfig, log: Logger): Promise<AppStore> {
  const apps = cfg.appsFile ? loadAppsFile(cfg.appsFile) : [];
  if (cfg.driver === 'memory') return createAppStore({ driver: 'memory', apps, log });
  return createAppStore({ driver: 'mysql', apps, mysqlUrl: cfg.mysqlUrl, log });
}

/** The n-th instance's port: the configured one plus n, or 0 (a free port) for all. */
const nth = (port: number, n: number): number => (port === 0 ? 0 : port + n);

function roomConfigs(cfg: StandaloneConfig, opts: StandaloneOptions, env: NodeJS.ProcessEnv): RoomConfig[] {
  const first = loadRoomConfig(opts.room, env);
  const out = [first];
  for (let i = 1; i < cfg.rooms; i++) {
    out.push(loadRoomConfig({ ...opts.room, id: `${first.id}-${i}`, port: nth(first.port, i), publicUrls: [] }, env));
  }
  return out;
}

function centerConfigs(cfg: StandaloneConfig, opts: StandaloneOptions, env: NodeJS.ProcessEnv): CenterConfig[] {
  const first = loadConfig('center', centerSchema, opts.center, env);
  return Array.from({ length: cfg.centers }, (_, i) => ({ ...first, port: nth(first.port, i) }));
}

/** Builds the services from options (defaults < options < HERALD_* environment). */
export function createStandalone(opts: StandaloneOptions, deps: StandaloneDeps): Standalone {
  const env = deps.env ?? process.env;
  const cfg = loadConfig('standalone', standaloneSchema, opts.standalone, env);
  const stores = { driver: cfg.driver, redisUrl: cfg.redisUrl, prefix: cfg.prefix };
  const log = deps.log;
  const base = { log, metrics: deps.metrics };
  const register = createRegister(loadConfig('register', registerSchema, { ...stores, ...opts.register }, env), base);
  const saverConfig = loadConfig('saver', saverSchema, { ...stores, mysqlUrl: cfg.mysqlUrl, ...opts.saver }, env);
  const saver = cfg.driver === 'redis' && cfg.saverThread ? createSaverThread(saverConfig, base) : createSaver(saverConfig, base);
  const registry: RoomRegistry = createRoomRegistry({ ...stores, log });
  const queue = createQueue({ ...stores, log });
  const directory = new Map<string, Room>();
  const rooms: RoomDirectory = { room: (id) => directory.get(id) };
  const coordinatorConfig = loadConfig('coordinator', coordinatorSchema, opts.coordinator, env);
  const dispatcher = createDispatcher(loadConfig('dispatcher', dispatcherSchema, opts.dispatcher, env), { registry, ...base });
  const roomCfgs = roomConfigs(cfg, opts, env);
  const centerCfgs = centerConfigs(cfg, opts, env);
  let apps: AppStore | undefined;
  let roomList: Room[] = [];
  let centerList: Center[] = [];
  let demoCreated = false;
  const started: Service[] = [];
  const startOne = async (s: Service): Promise<void> => {
    started.push(s);
    await s.start();
  };

  return {
    config: cfg,
    async start() {
      apps = await openApps(cfg, log);
      if (cfg.demoApp) demoCreated = await ensureDemoApp(apps);
      await startOne(register);
      await startOne(saver);
      const shared = { apps, register, saver, queue, registry, ...base };
      const coordinator = createCoordinator(coordinatorConfig, { ...shared, rooms });
      await startOne(coordinator);
      roomList = roomCfgs.map((c) => createRoom(c, { ...shared, coordinator }));
      centerList = centerCfgs.map((c) => createCenter(c, { ...shared, rooms }));
      for (let i = 0; i < roomList.length; i++) {
        await startOne(roomList[i]);
        directory.set(roomCfgs[i].id, roomList[i]);
      }
      await startOne(dispatcher);
      for (const c of centerList) await startOne(c);
    },
    // Reverse order: stop taking pushes and dispatches, drain the rooms, then close the stores.
    stop: once(async () => {
      for (const s of started.reverse()) {
        try {
          await s.stop();
        } catch (err) {
          log.error('service did not stop cleanly', { err });
        }
      }
      directory.clear();
      await Promise.all([queue.close(), registry.close(), apps?.close()]);
    }),
    room: () => roomList[0] ?? fail('room'),
    rooms: () => roomList,
    center: () => centerList[0] ?? fail('center'),
    centers: () => centerList,
    dispatcher: () => dispatcher,
    apps: () => apps ?? fail('apps'),
    saver: () => saver,
    queue: () => queue,
    demoAppCreated: () => demoCreated,
  };
}

function fail(what: string): never {
  throw new Error(`standalone: ${what} is not started`);
}
