import type { CoordinatorService } from '../../../shared/contracts/coordinator';
import type { UnaryHandler } from '../../../shared/rpc/rpc';
import { wireEach } from '../../../shared/rpc/wire';
import { pairFromWire, statusFromWire, upstreamFromWire } from './coordinator-wire';

export { coordinatorRpcService } from './coordinator-wire';

/**
 * The herald.v1.Coordinator handlers over a coordinator (rpcServer.add(coordinatorRpcService,
 * ...)). A malformed batch fails whole with INVALID_ARGUMENT naming the field; the coordinator
 * sees none of it.
 */
export function coordinatorRpcHandlers(coordinator: CoordinatorService): Record<string, UnaryHandler> {
  return {
    async upstream(req) {
      await coordinator.upstream(wireEach(req.requests, 'requests', upstreamFromWire));
      return {};
    },
    async status(req) {
      await coordinator.status(wireEach(req.events, 'events', statusFromWire));
      return {};
    },
    async replaced(req) {
      await coordinator.replaced(wireEach(req.pairs, 'pairs', pairFromWire));
      return {};
    },
  };
}
