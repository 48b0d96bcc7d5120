import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LogEntry, Message, SaverService } from '../../../shared/contracts/saver';
import { once, type Service } from '../../../shared/lifecycle/lifecycle';
import type { Registry } from '../../../shared/metrics/metrics';
import type { SaverConfig } from '../config';
import type { SaverDeps } from '../saver';
import { SaverInputError } from '../validate';
import { turnBatch } from '../../../shared/batching/turn-batch';
import { saverMethods, type Call, type FromWorker, type Reply, type SaverMethod, type ToWorker, type WireMetric } from './saver-thread-wire';

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

const STOP_MS = 30_000;
/** Pause before a new worker replaces one that exited, ms. */
const RESPAWN_MS = 500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A payload crosses threads as a plain Uint8Array: give callers the Buffer the saver made, a
 * view of the same bytes, set in the cloned message itself (this thread owns the clone).
 */
const withBuffer = (m: Message): void => {
  m.payload = Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
};
const results: Partial<Record<SaverMethod, (value: unknown) => unknown>> = {
  pending: (v) => {
    for (const m of v as Message[]) withBuffer(m);
    return v;
  },
  logSince: (v) => {
    for (const e of v as LogEntry[]) withBuffer(e.message);
    return v;
  },
};

/**
 * The saver on a worker thread of its own, behind the same SaverService: its Redis and MySQL
 * work (drivers, SQL formatting, replies) leaves the main event loop, which the rooms and
 * centers share. Calls and replies of one turn cross in one message each (saver-thread-wire.ts).
 * The worker's metrics (herald_saver_*) appear in deps.metrics, read from the worker per scrape.
 * A worker that exits (an uncaught error) fails the calls it had and is replaced.
 */
export function createSaverThread(config: SaverConfig, deps: SaverDeps, workerFile = join(__dirname, 'saver-worker.js')): SaverService & Service {
  const log = deps.log.child({ service: 'saver' });
  const waiting = new Map<number, Waiter>();
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopping = false;
  let down: string | undefined = 'not started';
  let nextId = 0;
  const post = (msg: ToWorker): void => worker!.postMessage(msg);

  const send = turnBatch<Call>((calls) => {
    try {
      post({ calls });
    } catch (err) {
      for (const [id] of calls) settle([id, false, { message: `saver: cannot pass the call to the saver thread: ${(err as Error).message}`, input: false }]);
    }
  });

  function settle([id, ok, value]: Reply): void {
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (ok) w.resolve(value);
    else w.reject(value.input ? new SaverInputError(value.message) : new Error(value.message));
  }

  function call(method: SaverMethod, args: unknown[]): Promise<unknown> {
    if (down !== undefined) return Promise.reject(new Error(`saver: the saver thread is ${down}`));
    const id = ++nextId;
    const answer = new Promise<unknown>((resolve, reject) => waiting.set(id, { resolve, reject }));
    send.add([id, method, args]);
    const convert = results[method];
    return convert ? answer.then(convert) : answer;
  }

  /** Every call still waiting fails: the thread is gone. */
  function lost(why: string): void {
    down = why;
    const err = new Error(`saver: the saver thread ${why}`);
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  }

  const metrics = workerMetrics((msg) => post(msg), () => down === undefined);

  function onMessage(msg: FromWorker, started: Waiter): void {
    if ('replies' in msg) for (const r of msg.replies) settle(r);
    else if ('metrics' in msg) metrics.answer(msg.metrics, msg.json);
    else if ('started' in msg) started.resolve(undefined);
    else if ('failed' in msg) started.reject(new Error(msg.failed));
  }

  /** Starts a worker and waits until its saver has started. */
  async function spawn(): Promise<void> {
    const w = new Worker(workerFile, { workerData: { config } });
    worker = w;
    exited = new Promise((resolve) => w.once('exit', () => resolve()));
    const ready = new Promise<unknown>((resolve, reject) => {
      const started: Waiter = { resolve, reject };
      w.on('message', (msg: FromWorker) => onMessage(msg, started));
      // An uncaught error in the worker: 'exit' follows.
      w.on('error', (err) => log.error('saver thread failed', { err }));
      w.on('exit', (code) => {
        reject(new Error(`saver: the saver thread exited (code ${code}) before it started`));
        onExit(code);
      });
    });
    try {
      await ready;
    } catch (err) {
      void w.terminate();
      await exited;
      throw err;
    }
    down = undefined;
    if (stopping) askStop();
  }

  /** The worker is gone: the calls waiting fail; if it was serving, a new one starts. */
  function onExit(code: number): void {
    const serving = down === undefined;
    lost(stopping || !serving ? 'stopped' : 'restarting');
    if (!serving || stopping) return;
    log.error('saver thread exited: starting a new one', { code });
    void respawn();
  }

  async function respawn(): Promise<void> {
    while (!stopping) {
      await sleep(RESPAWN_MS);
      if (stopping) return;
      try {
        await spawn();
        log.info('saver thread started again');
        return;
      } catch (err) {
        down = 'restarting';
        log.error('saver thread did not start again, retrying', { err });
      }
    }
  }

  /** Calls made so far go first and are answered: the worker takes messages in order. */
  function askStop(): void {
    down = 'stopping';
    send.flush();
    post({ stop: true });
  }

  async function start(): Promise<void> {
    await spawn();
    await metrics.register(deps.metrics);
    log.info('saver thread started', { driver: config.driver });
  }

  const stop = once(async () => {
    stopping = true;
    const w = worker;
    if (!w) return;
    if (down === undefined) askStop();
    const timer = setTimeout(() => void w.terminate(), STOP_MS);
    await exited;
    clearTimeout(timer);
  });

  const service = Object.fromEntries(saverMethods.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as SaverService;
  return { ...service, start, stop };
}

/** The worker's metrics, fetched once per scrape (the proxies of one scrape share the fetch). */
function workerMetrics(post: (msg: ToWorker) => void, up: () => boolean) {
  const asked = new Map<number, (json: WireMetric[]) => void>();
  let nextId = 0;
  let current: Promise<WireMetric[]> | undefined;

  const fetchAll = (): Promise<WireMetric[]> => {
    if (!up()) return Promise.resolve([]);
    return (current ??= new Promise<WireMetric[]>((resolve) => {
      const id = ++nextId;
      asked.set(id, resolve);
      post({ metrics: id });
      // A dead thread never answers: the scrape goes on without its figures.
      setTimeout(() => answer(id, []), 1000).unref();
    }).finally(() => setImmediate(() => (current = undefined))));
  };

  function answer(id: number, json: WireMetric[]): void {
    asked.get(id)?.(json);
    asked.delete(id);
  }

  return {
    answer,
    /** Registers one proxy per metric the worker has, each reading the worker's current value. */
    async register(registry: Registry): Promise<void> {
      for (const m of await fetchAll()) {
        const proxy = { name: m.name, help: m.help, type: m.type, aggregator: m.aggregator, get: async () => (await fetchAll()).find((x) => x.name === m.name) ?? { ...m, values: [] } };
        registry.registerMetric(proxy as unknown as Parameters<Registry['registerMetric']>[0]);
      }
    },
  };
}
