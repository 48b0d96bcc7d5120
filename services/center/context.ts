import type { Registry } from 'prom-client';
import type { AppStore } from '../../shared/contracts/apps';
import type { RegisterService } from '../../shared/contracts/register';
import type { RoomDirectory } from '../../shared/contracts/room';
import type { SaverService } from '../../shared/contracts/saver';
import type { Logger } from '../../shared/log/log';
import type { Queue } from '../../shared/queue/queue';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';
import type { Auth } from './auth';
import type { CenterConfig } from './config';
import type { Sender } from './push';

/** What the center needs from the rest of the system. */
export interface CenterDeps {
  apps: AppStore;
  register: RegisterService;
  saver: SaverService;
  rooms: RoomDirectory;
  /** Multicast slices, scheduled and paced pushes (shared by every center), fan-out to the rooms. */
  queue: Queue;
  /** The live rooms, for paced broadcasts. */
  registry: RoomRegistry;
  log: Logger;
  metrics: Registry;
}

/** Everything a route file gets. */
export interface CenterContext extends CenterDeps {
  config: CenterConfig;
  auth: Auth;
  sender: Sender;
}
