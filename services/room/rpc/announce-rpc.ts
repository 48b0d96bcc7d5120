import type { RoomRegistry } from '../../../shared/room-registry/room-registry';

/**
 * The registry as the room sees it in a cluster: every announce carries the room's RPC address
 * (RoomInfo.rpc), so center and coordinator can find the room (createRemoteRoomDirectory).
 * address() answers undefined until the RPC server listens; the announce goes out without it
 * then. Everything else passes through; close() closes the underlying registry.
 */
export function withRpcAddress(registry: RoomRegistry, address: () => string | undefined): RoomRegistry {
  return {
    announce(info, ttlMs) {
      const rpc = address();
      return registry.announce(rpc ? { ...info, rpc } : info, ttlMs);
    },
    withdraw: (id) => registry.withdraw(id),
    list: () => registry.list(),
    close: () => registry.close(),
  };
}
