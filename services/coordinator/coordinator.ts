import type { Registry } from 'prom-client';
import type { RegisterService } from '../../shared/contracts/register';
import type { RoomDirectory } from '../../shared/contracts/room';
import { once, type Service } from '../../shared/lifecycle/lifecycle';
import type { Logger } from '../../shared/log/log';
import { gauge } from '../../shared/metrics/metrics';
import type { CoordinatorConfig } from './config';

export interface CoordinatorDeps {
  register: RegisterService;
  rooms: RoomDirectory;
  log: Logger;
  metrics: Registry;
}

export interface Coordinator extends Service {
  running(): boolean;
}

/**
 * The coordinator: routes and hooks across rooms. This slice wires it into the process
 * with its lifecycle; upstream webhooks, status callbacks, kick, single login and register
 * recovery are built by the coordinator issue on top of these deps.
 */
export function createCoordinator(_config: CoordinatorConfig, deps: CoordinatorDeps): Coordinator {
  const up = gauge(deps.metrics, 'herald_coordinator_up', 'coordinator running (1) or stopped (0)');
  const log = deps.log.child({ service: 'coordinator' });
  let running = false;
  return {
    async start() {
      running = true;
      up.set(1);
      log.info('coordinator started');
    },
    stop: once(async () => {
      running = false;
      up.set(0);
    }),
    running: () => running,
  };
}
