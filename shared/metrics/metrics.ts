import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { asyncOpenFds } from './open-fds';

export { Registry };

/** A registry for one process (standalone shares one among all six services). */
export function createRegistry(withDefaults = false): Registry {
  const registry = new Registry();
  if (withDefaults) {
    const prefix = 'herald_';
    collectDefaultMetrics({ register: registry, prefix });
    asyncOpenFds(registry, prefix);
  }
  return registry;
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** Gets or creates a counter, so two services sharing a registry share the metric. */
export function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  return existing<Counter<string>>(registry, name) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function gauge(registry: Registry, name: string, help: string, labelNames: string[] = []): Gauge<string> {
  return existing<Gauge<string>>(registry, name) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

/** Latency histogram in seconds. */
export function histogram(registry: Registry, name: string, help: string, labelNames: string[] = []): Histogram<string> {
  return (
    existing<Histogram<string>>(registry, name) ??
    new Histogram({
      name,
      help,
      labelNames,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    })
  );
}
