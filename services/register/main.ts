import { loadConfig } from '../../shared/config/config';
import { createHttpServer } from '../../shared/http/http-server';
import { once } from '../../shared/lifecycle/lifecycle';
import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createRpcServer } from '../../shared/rpc/grpc-server';
import { registerSchema } from './config';
import { createRegister } from './register';
import { registerRpcHandlers } from './rpc/register-rpc-server';
import { REGISTER_RPC } from './rpc/register-wire';

// The register alone (cluster mode): the session store served over RPC (herald.v1.Register on
// rpcPort), plus /healthz, /readyz and /metrics over HTTP on httpPort.
const log = createLogger({ service: 'register' });
runMain('register', log, async () => {
  const config = loadConfig('register', registerSchema);
  const metrics = createRegistry(true);
  const register = createRegister(config, { log, metrics });
  const rpc = createRpcServer({ host: config.rpcHost, port: config.rpcPort, log, graceMs: config.rpcGraceMs });
  rpc.add(REGISTER_RPC, registerRpcHandlers(register));
  let ready = false;
  const http = createHttpServer({ name: 'register', host: config.httpHost, port: config.httpPort, routes: [], log, metrics, ready: () => ready });
  return {
    async start() {
      await register.start();
      const rpcPort = await rpc.start();
      const httpPort = await http.start();
      ready = true;
      log.info('register ready', { rpc: rpc.address(), rpcPort, httpPort, driver: config.driver });
    },
    stop: once(async () => {
      ready = false;
      // Calls in progress finish (up to the grace period) before the store closes.
      await rpc.stop();
      await http.stop();
      await register.stop();
    }),
  };
});
