import type { CoordinatorService, StatusEvent, UpstreamRequest } from '../../../shared/contracts/coordinator';
import type { Logger } from '../../../shared/log/log';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import type { RpcClient } from '../../../shared/rpc/rpc';
import { coordinatorRpcService, pairToWire, statusToWire, upstreamToWire, type ReplacedPair } from './coordinator-wire';

export interface CoordinatorClientOptions {
  /** host:port of each coordinator; calls spread round-robin. */
  addresses: string[];
  /** Per call, ms (default 5000). */
  deadlineMs?: number;
}

/** The coordinator over RPC: the CoordinatorService contract plus close(). */
export type CoordinatorClient = CoordinatorService & { close(): void };

/**
 * A CoordinatorService over gRPC. upstream and status are not retried (a retry could call a
 * webhook or report an event twice); replaced is (kicking a replaced session twice is
 * harmless). An empty batch resolves at once without a call.
 */
export function createCoordinatorClient(opts: CoordinatorClientOptions, log: Logger): CoordinatorClient {
  const rpc = createRpcClient(coordinatorRpcService, { addresses: opts.addresses, deadlineMs: opts.deadlineMs, idempotent: ['replaced'] }, log);
  return coordinatorClientOver(rpc);
}

/** The CoordinatorService mapping over any RpcClient of herald.v1.Coordinator. */
export function coordinatorClientOver(rpc: RpcClient): CoordinatorClient {
  return {
    async upstream(requests: UpstreamRequest[]): Promise<void> {
      if (requests.length === 0) return;
      await rpc.call('upstream', { requests: requests.map(upstreamToWire) });
    },
    async status(events: StatusEvent[]): Promise<void> {
      if (events.length === 0) return;
      await rpc.call('status', { events: events.map(statusToWire) });
    },
    async replaced(pairs: ReplacedPair[]): Promise<void> {
      if (pairs.length === 0) return;
      await rpc.call('replaced', { pairs: pairs.map(pairToWire) });
    },
    close: () => rpc.close(),
  };
}
