import { loadConfig } from '../../shared/config/config';
import { createHttpServer } from '../../shared/http/http-server';
import { once } from '../../shared/lifecycle/lifecycle';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createRpcServer } from '../../shared/rpc/grpc-server';
import { saverSchema } from './config';
import { SaverRpc } from './rpc/saver-rpc-map';
import { saverRpcHandlers } from './rpc/saver-rpc-server';
import { createSaver } from './saver';

// The saver alone (cluster mode): storage served over RPC (herald.v1.Saver on rpcPort), plus
// /healthz, /readyz and /metrics over HTTP on port.
const log = createLogger({ service: 'saver' });
runMain('saver', log, async () => {
  const config = loadConfig('saver', saverSchema);
  const metrics = createRegistry(true);
  const saver = createSaver(config, { log, metrics });
  const rpc = createRpcServer({ host: config.rpcHost, port: config.rpcPort, log });
  rpc.add(SaverRpc, saverRpcHandlers(saver));
  let ready = false;
  const http = createHttpServer({ name: 'saver', host: config.host, port: config.port, routes: [], log, metrics, ready: () => ready });
  return {
    async start() {
      await saver.start();
      const rpcPort = await rpc.start();
      const port = await http.start();
      ready = true;
      log.info('saver ready', { port, rpcPort, rpc: rpc.address(), driver: config.driver });
    },
    stop: once(async () => {
      ready = false;
      // Calls in progress finish (up to the grace period) before the storage closes.
      await rpc.stop();
      await http.stop();
      await saver.stop();
    }),
  };
});
