import type { Logger } from '../log/log';
import { withTimeout, type Service } from './lifecycle';

/**
 * For main.ts files only (the one place that touches process): builds and starts a service,
 * stops it on SIGINT/SIGTERM within a hard timeout, and sets the exit code.
 */
export function runMain(name: string, log: Logger, build: () => Promise<Service>, shutdownMs = 15_000): void {
  let service: Service | undefined;
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${name} stopping`, { signal });
    try {
      if (service) await withTimeout(`${name} stop`, shutdownMs, () => service!.stop());
      process.exitCode = 0;
    } catch (err) {
      log.error(`${name} did not stop cleanly`, { err });
      process.exitCode = 1;
    }
    process.exit();
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  void (async () => {
    try {
      service = await build();
      await service.start();
    } catch (err) {
      log.error(`${name} failed to start`, { err: err instanceof Error ? err.message : String(err) });
      process.exitCode = 1;
      try {
        await service?.stop();
      } finally {
        process.exit();
      }
    }
  })();
}
