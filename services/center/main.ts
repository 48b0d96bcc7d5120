import { createAppStore } from '../../shared/apps/app-store';
import { loadAppsFile } from '../../shared/apps/apps-file';
import { loadConfig } from '../../shared/config/config';
import { once } from '../../shared/lifecycle/lifecycle';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createMemoryQueue } from '../../shared/queue/memory-queue';
import { createMemoryRoomRegistry } from '../../shared/room-registry/memory-room-registry';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { saverSchema } from '../saver/config';
import { createSaver } from '../saver/saver';
import { createCenter } from './center';
import { centerSchema } from './config';

// Alone, the center has no peers yet: RPC wiring to register, saver and rooms comes with
// cluster mode, so this process stores pushes in an in-memory saver, queues work on an
// in-memory queue (shared with no other center) and hands pushes to no room.
const log = createLogger({ service: 'center' });
runMain('center', log, async () => {
  const config = loadConfig('center', centerSchema);
  const metrics = createRegistry(true);
  const apps = await createAppStore({
    driver: config.appsDriver,
    apps: config.appsFile ? loadAppsFile(config.appsFile) : [],
    mysqlUrl: config.mysqlUrl,
    log,
  });
  const register = createMemorySessionStore();
  const saver = createSaver(loadConfig('saver', saverSchema, { driver: 'memory' }), { log, metrics });
  const queue = createMemoryQueue({ log });
  const registry = createMemoryRoomRegistry();
  const center = createCenter(config, { apps, register, saver, rooms: { room: () => undefined }, queue, registry, log, metrics });
  return {
    async start() {
      await saver.start();
      await center.start();
    },
    stop: once(async () => {
      await center.stop();
      await Promise.all([saver.stop(), register.close(), apps.close(), queue.close(), registry.close()]);
    }),
  };
});
