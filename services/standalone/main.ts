import { runMain } from '../../shared/lifecycle/run-main';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { readConfigFile } from './config';
import { demoApp } from './demo-app';
import { createStandalone, type Standalone } from './standalone';

const log = createLogger({ service: 'herald' });

function banner(s: Standalone): string {
  const lines = [
    '',
    'Herald is running (standalone: all six services in one process, ' + `${s.config.driver} drivers)`,
    `  center (HTTP API)    ${s.centers().map((c) => c.url()).join(' ')}`,
    `  dispatcher           ${s.dispatcher().url()}/v1/dispatch`,
    `  room (WebSocket)     ${s.rooms().flatMap((r) => r.urls()).join(' ')}`,
    '  each also answers /healthz /readyz /metrics',
  ];
  if (s.config.demoApp) {
    lines.push(`  demo app             id ${demoApp.id}  API key ${demoApp.apiKeys[0]}  (set HERALD_STANDALONE_DEMO_APP=false outside development)`);
  }
  return lines.join('\n') + '\n\n';
}

runMain('herald', log, async () => {
  const file = process.env.HERALD_CONFIG;
  const standalone = createStandalone(file ? readConfigFile(file) : {}, { log, metrics: createRegistry(true) });
  return {
    async start() {
      await standalone.start();
      process.stdout.write(banner(standalone));
    },
    stop: () => standalone.stop(),
  };
});
