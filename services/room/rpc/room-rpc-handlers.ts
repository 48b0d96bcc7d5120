import type { RoomService } from '../../../shared/contracts/room';
import type { UnaryHandler } from '../../../shared/rpc/rpc';
import { deliverFromWire, drainFromWire, kickFromWire, replyFromWire } from './room-wire';
import { wireEach } from '../../../shared/rpc/wire';

export { roomRpcService } from './room-wire';

/**
 * The herald.v1.Room handlers over a room (add them with rpcServer.add(roomRpcService, ...)).
 * A malformed request fails with INVALID_ARGUMENT naming the field, before the room sees any
 * of the batch; what the room throws becomes INTERNAL for that call only.
 */
export function roomRpcHandlers(room: RoomService): Record<string, UnaryHandler> {
  return {
    async deliver(req) {
      const r = await room.deliver(deliverFromWire(req));
      return { sent: r.sent, missing: r.missing, refused: r.refused };
    },
    async reply(req) {
      return { count: await room.reply(wireEach(req.replies, 'replies', replyFromWire)) };
    },
    async kick(req) {
      return { count: await room.kick(wireEach(req.kicks, 'kicks', kickFromWire)) };
    },
    async drain(req) {
      await room.drain(drainFromWire(req));
      return {};
    },
    async reflush() {
      return { count: await room.reflush() };
    },
  };
}
