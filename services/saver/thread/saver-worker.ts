/**
 * The saver's worker thread (see saver-thread.ts): runs createSaver with the config it was
 * given, and answers the calls the main thread posts, a turn's replies in one message.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger } from '../../../shared/log/log';
import { createRegistry } from '../../../shared/metrics/metrics';
import type { SaverConfig } from '../config';
import { createSaver } from '../saver';
import { SaverInputError } from '../validate';
import { turnBatch } from '../../../shared/batching/turn-batch';
import { type Call, type FromWorker, type Reply, type ToWorker } from './saver-thread-wire';

function serve(port: MessagePort, config: SaverConfig): void {
  const metrics = createRegistry(false);
  const saver = createSaver(config, { log: createLogger({ service: 'herald', thread: 'saver' }), metrics });
  const post = (msg: FromWorker): void => port.postMessage(msg);
  const reply = turnBatch<Reply>((replies) => post({ replies }));

  const run = ([id, method, args]: Call): void => {
    const fn = saver[method] as (...a: unknown[]) => Promise<unknown>;
    let answer: Promise<unknown>;
    try {
      answer = fn(...args);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (value) => reply.add([id, true, value]),
      (err: unknown) => reply.add([id, false, { message: err instanceof Error ? err.message : String(err), input: err instanceof SaverInputError }]),
    );
  };

  port.on('message', (msg: ToWorker) => {
    if ('calls' in msg) for (const c of msg.calls) run(c);
    else if ('metrics' in msg) void metrics.getMetricsAsJSON().then((json) => post({ metrics: msg.metrics, json }));
    // Stop: the replies still collected go out, then the port closes and the thread exits.
    else void saver.stop().finally(() => {
      reply.flush();
      port.close();
    });
  });
  saver.start().then(
    () => post({ started: true }),
    (err: unknown) => post({ failed: err instanceof Error ? err.message : String(err) }),
  );
}

if (parentPort) serve(parentPort, (workerData as { config: SaverConfig }).config);
