import type { Registry } from 'prom-client';
import type { RegisterService } from '../../shared/contracts/register';
import type { RoomDirectory } from '../../shared/contracts/room';
import type { Logger } from '../../shared/log/log';
import { counter } from '../../shared/metrics/metrics';
import type { RoomRegistry } from '../../shared/room-registry/room-registry';

export interface RecoveryDeps {
  register: Pick<RegisterService, 'epoch'>;
  rooms: RoomDirectory;
  registry: RoomRegistry;
  log: Logger;
  metrics: Registry;
}

export interface Recovery {
  start(): void;
  stop(): Promise<void>;
  /** One check now (what the timer runs); resolves when it is done. */
  check(): Promise<void>;
}

/**
 * Register recovery: polls register.epoch(); when it changes (the register lost its data), asks
 * every live room to register its sessions again. Rooms whose reflush failed are tried again at
 * the next poll until they succeed or leave the registry.
 */
export function createRecovery(pollMs: number, deps: RecoveryDeps): Recovery {
  const log = deps.log.child({ component: 'recovery' });
  const recoveries = counter(deps.metrics, 'herald_coordinator_recoveries_total', 'Register data losses seen (epoch changes) and reflushed');
  const failures = counter(deps.metrics, 'herald_coordinator_reflush_failures_total', 'Room reflushes that failed (tried again at the next poll)');
  let last: string | undefined;
  let retry = new Set<string>();
  let everyRoom = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function reflush(ids: string[]): Promise<void> {
    const failed = new Set<string>();
    let sessions = 0;
    await Promise.all(
      ids.map(async (id) => {
        const room = deps.rooms.room(id);
        if (!room) return; // Another process's room: its own coordinator link reflushes it.
        try {
          const n = await room.reflush();
          sessions += n;
        } catch (err) {
          failed.add(id);
          failures.inc();
          log.error('room reflush failed, will retry', { room: id, err });
        }
      }),
    );
    retry = failed;
    log.info('rooms reflushed their sessions into register', { rooms: ids.length - failed.size, sessions, failed: [...failed] });
  }

  async function check(): Promise<void> {
    let epoch: string;
    try {
      epoch = await deps.register.epoch();
    } catch (err) {
      log.warn('could not read the register epoch', { err });
      return;
    }
    if (last !== undefined && epoch !== last) {
      recoveries.inc();
      log.warn('register lost its data (epoch changed): asking every room to reflush', { was: last, now: epoch });
      everyRoom = true;
    }
    last = epoch;
    if (!everyRoom && retry.size === 0) return;
    // A failing list() leaves everyRoom set: the next poll tries again.
    const ids = (await deps.registry.list()).map((r) => r.id);
    const todo = everyRoom ? ids : ids.filter((id) => retry.has(id));
    everyRoom = false;
    if (todo.length) await reflush(todo);
    else retry = new Set();
  }

  const tick = (): void => {
    if (running) return;
    running = check()
      .catch((err: unknown) => log.error('register recovery check failed', { err }))
      .finally(() => (running = undefined));
  };

  return {
    start() {
      tick();
      timer = setInterval(tick, pollMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
    check,
  };
}
