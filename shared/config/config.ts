/**
 * Typed configuration: one schema per service, defaults in one place, environment
 * overrides named HERALD_<SECTION>_<KEY> (e.g. HERALD_ROOM_MAX_PAYLOAD), validated at start.
 * Precedence: defaults < values passed in (a config file, a test) < environment.
 */
export interface Field<T> {
  default: T;
  doc: string;
  parse(raw: string): T;
  check(value: unknown): string | undefined;
}

export type Schema = Record<string, Field<unknown>>;
export type ConfigOf<S extends Schema> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

export class ConfigError extends Error {}

export function int(def: number, doc: string, min = 0, max = Number.MAX_SAFE_INTEGER): Field<number> {
  return {
    default: def,
    doc,
    parse: (raw) => (raw.trim() === '' ? NaN : Number(raw)),
    check: (v) =>
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
        ? undefined
        : `must be an integer from ${min} to ${max}`,
  };
}

export function str(def: string, doc: string, allowEmpty = true): Field<string> {
  return {
    default: def,
    doc,
    parse: (raw) => raw,
    check: (v) => (typeof v === 'string' && (allowEmpty || v !== '') ? undefined : 'must be a non-empty string'),
  };
}

export function bool(def: boolean, doc: string): Field<boolean> {
  return {
    default: def,
    doc,
    parse: (raw) => (/^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : (raw as never)),
    check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  };
}

export function list(def: string[], doc: string): Field<string[]> {
  return {
    default: def,
    doc,
    parse: (raw) => raw.split(',').map((s) => s.trim()).filter(Boolean),
    check: (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'must be a list of strings'),
  };
}

export function oneOf<T extends string>(values: readonly T[], def: T, doc: string): Field<T> {
  return {
    default: def,
    doc,
    parse: (raw) => raw as T,
    check: (v) => ((values as readonly unknown[]).includes(v) ? undefined : `must be one of: ${values.join(', ')}`),
  };
}

function envName(section: string, key: string): string {
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `HERALD_${section.replace(/[^a-z0-9]/gi, '_').toUpperCase()}_${snake}`;
}

/** Resolves and validates a section's config; throws ConfigError naming the bad option's path. */
export function loadConfig<S extends Schema>(
  section: string,
  schema: S,
  given: Partial<ConfigOf<S>> = {},
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in schema)) throw new ConfigError(`${section}.${key}: unknown option`);
  }
  for (const [key, field] of Object.entries(schema)) {
    const raw = env[envName(section, key)];
    const value = raw !== undefined ? field.parse(raw) : (given as Record<string, unknown>)[key] ?? field.default;
    const problem = field.check(value);
    if (problem) throw new ConfigError(`${section}.${key}: ${problem}${raw !== undefined ? ` (from ${envName(section, key)})` : ''}`);
    out[key] = value;
  }
  return out as ConfigOf<S>;
}

/** Lines documenting a schema: option, env name, default, description (for the README and --help). */
export function describeConfig(section: string, schema: Schema): string[] {
  return Object.entries(schema).map(
    ([key, f]) => `${section}.${key}  ${envName(section, key)}  default ${JSON.stringify(f.default)}  ${f.doc}`,
  );
}
