import { createAppStore } from '../../shared/apps/app-store';
import { loadAppsFile } from '../../shared/apps/apps-file';
import { loadConfig } from '../../shared/config/config';
import type { AppStore } from '../../shared/contracts/apps';
import type { RoomDirectory } from '../../shared/contracts/room';
import type { SaverService } from '../../shared/contracts/saver';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import type { Registry } from '../../shared/metrics/metrics';
import { createRoomRegistry } from '../../shared/room-registry/create-room-registry';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import { createCenter, type Center } from '../center/center';
import { centerSchema } from '../center/config';
import { coordinatorSchema } from '../coordinator/config';
import { createCoordinator } from '../coordinator/coordinator';
import { dispatcherSchema } from '../dispatcher/config';
import { createDispatcher, type Dispatcher } from '../dispatcher/dispatcher';
import { registerSchema } from '../register/config';
import { createRegister } from '../register/register';
import { loadRoomConfig } from '../room/config';
import { createRoom, type Room } from '../room/room';
import { saverSchema } from '../saver/config';
import { createSaver } from '../saver/saver';
import { standaloneSchema, type StandaloneConfig, type StandaloneOptions } from './config';
import { ensureDemoApp } from './demo-app';

/** All six services in one process, wired with in-process calls. */
export interface Standalone extends Service {
  readonly config: StandaloneConfig;
  room(): Room;
  center(): Center;
  dispatcher(): Dispatcher;
  apps(): AppStore;
  saver(): SaverService;
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

function openRegistry(cfg: StandaloneConfig): RoomRegistry {
  return cfg.driver === 'memory'
    ? createRoomRegistry({ driver: 'memory' })
    : createRoomRegistry({ driver: 'redis', redisUrl: cfg.redisUrl, prefix: cfg.prefix });
}

/** Builds the services from options (defaults < options < HERALD_* environment). */
export function createStandalone(opts: StandaloneOptions, deps: StandaloneDeps): Standalone {
  const env = deps.env ?? process.env;
  const cfg = loadConfig('standalone', standaloneSchema, opts.standalone, env);
  const stores = { driver: cfg.driver, redisUrl: cfg.redisUrl, prefix: cfg.prefix };
  const log = deps.log;
  const base = { log, metrics: deps.metrics };
  const register = createRegister(loadConfig('register', registerSchema, { ...stores, ...opts.register }, env), base);
  const saver = createSaver(loadConfig('saver', saverSchema, { ...stores, mysqlUrl: cfg.mysqlUrl, ...opts.saver }, env), base);
  const registry = openRegistry(cfg);
  const rooms = new Map<string, Room>();
  const directory: RoomDirectory = { room: (id) => rooms.get(id) };
  const coordinator = createCoordinator(loadConfig('coordinator', coordinatorSchema, opts.coordinator, env), { register, rooms: directory, ...base });
  const dispatcherConfig = loadConfig('dispatcher', dispatcherSchema, opts.dispatcher, env);
  const dispatcher = createDispatcher(dispatcherConfig, { registry, ...base });
  const centerConfig = loadConfig('center', centerSchema, { ...opts.center }, env);
  const roomConfig = loadRoomConfig(opts.room, env);
  let apps: AppStore | undefined;
  let room: Room | undefined;
  let center: Center | undefined;
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
      room = createRoom(roomConfig, { apps, register, saver, registry, ...base });
      center = createCenter(centerConfig, { apps, register, saver, rooms: directory, ...base });
      await startOne(room);
      rooms.set(roomConfig.id, room);
      await startOne(coordinator);
      await startOne(dispatcher);
      await startOne(center);
    },
    // Reverse order: stop taking pushes and dispatches, drain the room, then close the stores.
    stop: once(async () => {
      for (const s of started.reverse()) {
        try {
          await s.stop();
        } catch (err) {
          log.error('service did not stop cleanly', { err });
        }
      }
      rooms.clear();
      await registry.close();
      await apps?.close();
    }),
    room: () => room ?? fail('room'),
    center: () => center ?? fail('center'),
    dispatcher: () => dispatcher,
    apps: () => apps ?? fail('apps'),
    saver: () => saver,
    demoAppCreated: () => demoCreated,
  };
}

function fail(what: string): never {
  throw new Error(`standalone: ${what} is not started`);
}
