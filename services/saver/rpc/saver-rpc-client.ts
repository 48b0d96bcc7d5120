import type { DeviceKey } from '../../../shared/contracts/register';
import type { DeadLetter, Delivery, LogAck, LogEntry, Message, MessageStatus, SaverService } from '../../../shared/contracts/saver';
import type { Logger } from '../../../shared/log/log';
import { batchedRead } from '../../../shared/rpc/batched-read';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import type { RpcClientOptions } from '../../../shared/rpc/rpc';
import { checkApp, checkAppId, checkDeliveries, checkDevice, checkLogAcks, checkLogCounts, checkLogMessage, checkLogSince, checkMessage, checkSendAt, checkTargets } from '../validate';
import { logEntryFromWire, messageFromWire, SaverRpc, statusFromWire, type WireMessage } from './saver-rpc-map';

/**
 * Safe to retry on another attempt: reads, acks (an ack of an acked entry counts nothing),
 * log acks (watermarks only move forward) and markScheduled (a repeat does not hide a fired
 * push). Not store, attempt, appendLog, countLogDelivered or markCancelled: a repeat would
 * count or append twice.
 */
export const SaverIdempotent = ['pending', 'pendingMany', 'status', 'deadLetters', 'logSince', 'logSinceMany', 'ack', 'ackLog', 'markScheduled'] as const;

/**
 * The saver in another process, behind the same SaverService interface as createSaver's.
 * Input is checked here with the saver's own validators (same errors as in process, no round
 * trip for bad input or empty batches); the server checks again. Results deep-equal the
 * in-process ones: payloads come back as Buffers, an absent topic as a missing key.
 */
export function createSaverClient(opts: RpcClientOptions, log: Logger): SaverService & { close(): void } {
  const rpc = createRpcClient(SaverRpc, { idempotent: [...SaverIdempotent], ...opts }, log);
  const call = <Res>(method: string, request: Record<string, unknown>): Promise<Res> => rpc.call<Res>(method, request);
  // The reads of every connect, batched per turn (checked here first, so a batch holds no bad input).
  const pending = batchedRead<{ messages: WireMessage[] }>(rpc, 'pending', 'pendingMany');
  const logSince = batchedRead<{ entries: { log: string; seq: number; message: WireMessage }[] }>(rpc, 'logSince', 'logSinceMany');

  return {
    store: async (message: Message, targets: DeviceKey[]) => {
      checkMessage(message);
      checkTargets(message.app, targets);
      await call('store', { message, targets });
    },
    pending: async (app: string, device: string, limit?: number) => {
      checkDevice(app, device, limit);
      return (await pending({ app, device, limit })).messages.map(messageFromWire);
    },
    attempt: async (deliveries: Delivery[]) => {
      checkDeliveries('deliveries', deliveries);
      if (deliveries.length === 0) return [];
      return (await call<{ send: boolean[] }>('attempt', { deliveries })).send;
    },
    ack: async (acks: Delivery[]) => {
      checkDeliveries('acks', acks);
      if (acks.length === 0) return 0;
      return (await call<{ removed: number }>('ack', { acks })).removed;
    },
    status: async (app: string, id: string): Promise<MessageStatus | undefined> => {
      checkAppId(app, id);
      const res = await call<{ status: Record<string, unknown> | null }>('status', { app, id });
      return res.status ? statusFromWire(res.status) : undefined;
    },
    deadLetters: async (app: string, limit?: number) => {
      checkApp(app, limit ?? 100);
      return (await call<{ letters: DeadLetter[] }>('deadLetters', { app, limit })).letters;
    },
    appendLog: async (message: Message) => {
      checkLogMessage(message);
      return (await call<{ seq: number }>('appendLog', { message })).seq;
    },
    logSince: async (app: string, device: string, logs: string[], limit?: number): Promise<LogEntry[]> => {
      checkLogSince(app, device, logs, limit);
      if (logs.length === 0) return [];
      return (await logSince({ app, device, logs, limit })).entries.map(logEntryFromWire);
    },
    ackLog: async (acks: LogAck[]) => {
      checkLogAcks(acks);
      if (acks.length > 0) await call('ackLog', { acks });
    },
    countLogDelivered: async (counts: { app: string; id: string; delivered: number }[]) => {
      checkLogCounts(counts);
      const nonZero = counts.filter((c) => c.delivered > 0);
      if (nonZero.length > 0) await call('countLogDelivered', { counts: nonZero });
    },
    markScheduled: async (message: Message, sendAt: number) => {
      checkMessage(message);
      checkSendAt(sendAt);
      await call('markScheduled', { message, sendAt });
    },
    markCancelled: async (app: string, id: string) => {
      checkAppId(app, id);
      return (await call<{ cancelled: boolean }>('markCancelled', { app, id })).cancelled;
    },
    close: () => rpc.close(),
  };
}
