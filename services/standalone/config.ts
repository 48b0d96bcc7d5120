import { readFileSync } from 'node:fs';
import { bool, ConfigError, int, oneOf, str, type ConfigOf } from '../../shared/config/config';
import type { CenterConfig } from '../center/config';
import type { CoordinatorConfig } from '../coordinator/config';
import type { DispatcherConfig } from '../dispatcher/config';
import type { RegisterConfig } from '../register/config';
import type { RoomConfig } from '../room/config';
import type { SaverConfig } from '../saver/config';

/** Options of the one-process deployment (section 'standalone', env HERALD_STANDALONE_<KEY>). */
export const standaloneSchema = {
  driver: oneOf(['memory', 'redis'] as const, 'memory', "storage for register, saver, room registry and apps: 'memory', or 'redis' (Redis + MySQL)"),
  redisUrl: str('redis://127.0.0.1:6379', 'Redis URL (driver redis)'),
  mysqlUrl: str('mysql://root@127.0.0.1:3306/herald', 'MySQL/MariaDB URL with database (driver redis)'),
  prefix: str('herald:', 'prefix of every Redis key'),
  appsFile: str('', "JSON file {apps: [...]} of apps to load ('' = none)"),
  rooms: int(1, 'room servers in this process (ports room.port, room.port + 1, ...; all free ports when room.port is 0)', 1, 16),
  centers: int(1, 'center instances in this process, sharing the queue (ports center.port, center.port + 1, ...)', 1, 16),
  saverThread: bool(true, 'driver redis: run the saver (its Redis and MySQL work) on a worker thread of its own, off the event loop the rooms and centers share; the memory driver keeps it on the main thread'),
  demoApp: bool(true, "create the demo app (id 'demo', API key 'demo-api-key-change-me') when missing; turn off outside development"),
};
export type StandaloneConfig = ConfigOf<typeof standaloneSchema>;

/** Values given per section, e.g. from the JSON file named by HERALD_CONFIG, or by a test. */
export interface StandaloneOptions {
  standalone?: Partial<StandaloneConfig>;
  room?: Partial<RoomConfig>;
  center?: Partial<CenterConfig>;
  dispatcher?: Partial<DispatcherConfig>;
  register?: Partial<RegisterConfig>;
  saver?: Partial<SaverConfig>;
  coordinator?: Partial<CoordinatorConfig>;
}

const sections = ['standalone', 'room', 'center', 'dispatcher', 'register', 'saver', 'coordinator'];

/** Reads a JSON config file of sections ({room: {...}, center: {...}}); errors name the file. */
export function readConfigFile(path: string): StandaloneOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path}: must be a JSON object of sections`);
  }
  for (const key of Object.keys(parsed)) {
    if (!sections.includes(key)) throw new ConfigError(`config file ${path}: unknown section "${key}" (one of ${sections.join(', ')})`);
  }
  return parsed as StandaloneOptions;
}
