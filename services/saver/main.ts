import { loadConfig } from '../../shared/config/config';
import { createHttpServer } from '../../shared/http/http-server';
import { once } from '../../shared/lifecycle/lifecycle';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { saverSchema } from './config';
import { createSaver } from './saver';

// The saver alone: storage plus /healthz, /readyz, /metrics. RPC wiring comes with cluster mode.
const log = createLogger({ service: 'saver' });
runMain('saver', log, async () => {
  const config = loadConfig('saver', saverSchema);
  const metrics = createRegistry(true);
  const saver = createSaver(config, { log, metrics });
  let ready = false;
  const http = createHttpServer({ name: 'saver', host: config.host, port: config.port, routes: [], log, metrics, ready: () => ready });
  return {
    async start() {
      await saver.start();
      const port = await http.start();
      ready = true;
      log.info('saver ready', { port, driver: config.driver });
    },
    stop: once(async () => {
      ready = false;
      await http.stop();
      await saver.stop();
    }),
  };
});
