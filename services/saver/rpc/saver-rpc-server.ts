import type { DeviceKey } from '../../../shared/contracts/register';
import type { Delivery, LogAck, Message, SaverService } from '../../../shared/contracts/saver';
import { batchedRequests } from '../../../shared/rpc/batched-read';
import { RpcCode, RpcError, type UnaryHandler } from '../../../shared/rpc/rpc';
import { SaverInputError } from '../validate';
import { messageFromWire, type WireMessage } from './saver-rpc-map';

type Req = Record<string, unknown>;

/** An absent optional uint64 (limit) stays undefined, so the saver applies its own default. */
function optionalNumber(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/**
 * A message the saver may keep: its payload copied out of the request frame, which it would
 * otherwise share (a store request's frame also holds the whole target list).
 */
function ownedMessage(w: unknown): Message {
  const m = messageFromWire(w as WireMessage | null);
  if (m && m.payload instanceof Uint8Array) m.payload = Buffer.from(m.payload);
  return m;
}

/** Runs a handler body; a rejected input becomes INVALID_ARGUMENT with the saver's own message. */
function guarded(fn: (req: Req) => Promise<Req>): UnaryHandler {
  return async (req) => {
    try {
      return await fn(req);
    } catch (err) {
      if (err instanceof SaverInputError) throw new RpcError(RpcCode.InvalidArgument, err.message);
      throw err;
    }
  };
}

/**
 * The herald.v1.Saver handlers over a SaverService (in practice createSaver's, which validates
 * every call). Decoded requests go to the saver as they are where the wire shape already is the
 * contract shape (deliveries, targets, acks); results go back unmapped: the encoder reads only
 * the proto's fields.
 */
export function saverRpcHandlers(saver: SaverService): Record<string, UnaryHandler> {
  const pending = async (r: Req): Promise<Req> => ({
    messages: await saver.pending(r.app as string, r.device as string, optionalNumber(r.limit)),
  });
  const logSince = async (r: Req): Promise<Req> => ({
    entries: await saver.logSince(r.app as string, r.device as string, r.logs as string[], optionalNumber(r.limit)),
  });
  return {
    store: guarded(async (r) => {
      await saver.store(ownedMessage(r.message), r.targets as DeviceKey[]);
      return {};
    }),
    pending: guarded(pending),
    pendingMany: guarded(async (r) => ({ results: await Promise.all(batchedRequests('pendingMany', r).map(pending)) })),
    attempt: guarded(async (r) => ({ send: await saver.attempt(r.deliveries as Delivery[]) })),
    ack: guarded(async (r) => ({ removed: await saver.ack(r.acks as Delivery[]) })),
    status: guarded(async (r) => {
      const status = await saver.status(r.app as string, r.id as string);
      return status ? { status } : {};
    }),
    deadLetters: guarded(async (r) => ({
      letters: await saver.deadLetters(r.app as string, optionalNumber(r.limit)),
    })),
    appendLog: guarded(async (r) => ({ seq: await saver.appendLog(ownedMessage(r.message)) })),
    logSince: guarded(logSince),
    logSinceMany: guarded(async (r) => ({ results: await Promise.all(batchedRequests('logSinceMany', r).map(logSince)) })),
    ackLog: guarded(async (r) => {
      await saver.ackLog(r.acks as LogAck[]);
      return {};
    }),
    countLogDelivered: guarded(async (r) => {
      await saver.countLogDelivered(r.counts as { app: string; id: string; delivered: number }[]);
      return {};
    }),
    markScheduled: guarded(async (r) => {
      await saver.markScheduled(ownedMessage(r.message), r.sendAt as number);
      return {};
    }),
    markCancelled: guarded(async (r) => ({ cancelled: await saver.markCancelled(r.app as string, r.id as string) })),
  };
}
