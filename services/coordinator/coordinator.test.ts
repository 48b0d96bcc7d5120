import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../shared/config/config';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { createMemorySessionStore } from '../register/store/memory-session-store';
import { coordinatorSchema } from './config';
import { createCoordinator } from './coordinator';

test('coordinator starts, stops twice and reports it in metrics', async () => {
  const metrics = createRegistry();
  const c = createCoordinator(loadConfig('coordinator', coordinatorSchema), {
    register: createMemorySessionStore(),
    rooms: { room: () => undefined },
    log: createLogger({}, 'error'),
    metrics,
  });
  await c.start();
  assert.equal(c.running(), true);
  assert.match(await metrics.metrics(), /herald_coordinator_up 1/);
  await c.stop();
  await c.stop();
  assert.equal(c.running(), false);
  assert.match(await metrics.metrics(), /herald_coordinator_up 0/);
});
