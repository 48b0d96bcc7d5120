import type { CoordinatorConfig } from './config';

/** Delay after the attempt-th failed call (1-based): retryBaseMs doubled each time, capped at retryMaxMs. */
export function retryDelay(config: Pick<CoordinatorConfig, 'retryBaseMs' | 'retryMaxMs'>, attempt: number): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** exp);
}
