import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { SaverService } from '../../../shared/contracts/saver';

/**
 * What the saver thread (saver-thread.ts) and its worker (saver-worker.ts) post to each other.
 * Calls and replies of one event-loop turn go in one message: one structured clone and one
 * wake-up of the other thread per turn, however many calls.
 */
export const saverMethods = [
  'store', 'pending', 'attempt', 'ack', 'status', 'deadLetters',
  'appendLog', 'logSince', 'ackLog', 'countLogDelivered', 'markScheduled', 'markCancelled',
] as const satisfies readonly (keyof SaverService)[];
export type SaverMethod = (typeof saverMethods)[number];

export type Call = [id: number, method: SaverMethod, args: unknown[]];
/** An error crosses as its message; input tells a SaverInputError (the caller's fault). */
export type Reply = [id: number, ok: true, value: unknown] | [id: number, ok: false, error: { message: string; input: boolean }];
export type WireMetric = MetricObjectWithValues<MetricValue<string>>;

export type ToWorker = { calls: Call[] } | { metrics: number } | { stop: true };
export type FromWorker =
  | { replies: Reply[] }
  | { started: true }
  | { failed: string }
  | { metrics: number; json: WireMetric[] };
