/** Structured JSON logs, one object per line on stdout (errors on stderr). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function envLevel(): LogLevel {
  const v = process.env.HERALD_LOG_LEVEL;
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error') return v;
  if (v === 'silent') return 'error';
  return process.env.NODE_TEST_CONTEXT ? 'warn' : 'info';
}

function serialize(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { message: v.message, stack: v.stack } : v;
  }
  return out;
}

/** Creates a logger; the level comes from HERALD_LOG_LEVEL unless given. */
export function createLogger(base: LogFields = {}, level: LogLevel = envLevel()): Logger {
  const min = order[level];
  const write = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (order[lvl] < min) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...serialize(fields ?? {}) });
    (lvl === 'error' || lvl === 'warn' ? process.stderr : process.stdout).write(line + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level),
  };
}
