import type { DeliverResult, DrainOptions, RoomDelivery, RoomKick, RoomReply, RoomService } from '../../../shared/contracts/room';
import type { Logger } from '../../../shared/log/log';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import type { RpcClient } from '../../../shared/rpc/rpc';
import { deliverToWire, drainToWire, kickToWire, replyToWire, roomRpcService } from './room-wire';

export interface RoomClientOptions {
  /** The room's id (RoomService.id), as announced in the registry. */
  id: string;
  /** Per call, ms (default 5000). drain() gets its own deadline: see drainSlackMs. */
  deadlineMs?: number;
  /** drain() waits for the room's drain deadline plus this, ms (default 5000). */
  drainSlackMs?: number;
  /** drain() without a deadlineMs waits this long, ms (default 65000: the room's default drain deadline is 30 s). */
  drainCallMs?: number;
  /** reflush() deadline, ms (default 60000: it registers every session of the room). */
  reflushCallMs?: number;
}

/** A room over RPC: the RoomService contract plus close() (which ends its channel). */
export type RoomClient = RoomService & { close(): void };

/**
 * A RoomService that calls one room over gRPC. deliver, reply and kick are not retried (a
 * second try could write twice); drain and reflush are, being idempotent. An empty batch
 * answers at once without a call.
 */
export function createRoomClient(address: string, opts: RoomClientOptions, log: Logger): RoomClient {
  const rpc = createRpcClient(roomRpcService, { addresses: [address], deadlineMs: opts.deadlineMs, idempotent: ['drain', 'reflush'] }, log);
  return roomClientOver(rpc, opts);
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The RoomService mapping over any RpcClient of herald.v1.Room. */
export function roomClientOver(rpc: RpcClient, opts: RoomClientOptions): RoomClient {
  const slack = opts.drainSlackMs ?? 5000;
  const drainCallMs = opts.drainCallMs ?? 65_000;
  const reflushCallMs = opts.reflushCallMs ?? 60_000;
  return {
    id: opts.id,
    async deliver(batch: RoomDelivery[]): Promise<DeliverResult> {
      if (batch.length === 0) return { sent: 0, missing: 0, refused: 0 };
      const r = await rpc.call('deliver', deliverToWire(batch));
      return { sent: num(r.sent), missing: num(r.missing), refused: num(r.refused) };
    },
    async reply(batch: RoomReply[]): Promise<number> {
      if (batch.length === 0) return 0;
      return num((await rpc.call('reply', { replies: batch.map(replyToWire) })).count);
    },
    async kick(batch: RoomKick[]): Promise<number> {
      if (batch.length === 0) return 0;
      return num((await rpc.call('kick', { kicks: batch.map(kickToWire) })).count);
    },
    async drain(options?: DrainOptions): Promise<void> {
      const ms = options?.deadlineMs !== undefined ? options.deadlineMs + slack : drainCallMs;
      await rpc.call('drain', drainToWire(options), ms);
    },
    async reflush(): Promise<number> {
      return num((await rpc.call('reflush', {}, reflushCallMs)).count);
    },
    close: () => rpc.close(),
  };
}
