/**
 * Per-turn batching of one read method over its "...Many" RPC, for the reads a room makes on
 * every connect (pending inbox, logs, subscriptions). Each gRPC call costs the caller ~100 µs
 * of CPU and a handful of objects however small it is; during a connect storm one turn holds
 * hundreds of these reads, and one call carrying all of them costs little more than one.
 *
 * The Many method takes `{ requests: Req[] }` and answers `{ results: Res[] }`, one per request
 * in order. A peer without it (UNIMPLEMENTED: an older build during a rolling upgrade) gets the
 * single method from then on.
 */
import { createCoalescer } from '../batching/coalescer';
import { RpcCode, RpcError, type RpcClient } from './rpc';

/** Most requests in one Many call (the servers refuse more than MAX_BATCHED_READS). */
export const MAX_BATCHED_READS = 256;

/** Checks a Many request on the server side: the requests array, at most MAX_BATCHED_READS. */
export function batchedRequests(method: string, req: Record<string, unknown>): Record<string, unknown>[] {
  const requests = req.requests;
  if (!Array.isArray(requests)) throw new RpcError(RpcCode.InvalidArgument, `${method}: requests must be a list`);
  if (requests.length > MAX_BATCHED_READS) {
    throw new RpcError(RpcCode.InvalidArgument, `${method}: at most ${MAX_BATCHED_READS} requests per call (got ${requests.length})`);
  }
  return requests as Record<string, unknown>[];
}

/** Answers one call per request, batched per turn into `many`, falling back to `single`. */
export function batchedRead<Res>(rpc: RpcClient, single: string, many: string): (request: Record<string, unknown>) => Promise<Res> {
  let manyMissing = false;
  const one = (request: Record<string, unknown>): Promise<Res> => rpc.call<Res>(single, request);
  const run = createCoalescer<Record<string, unknown>, Res>(async (requests) => {
    if (manyMissing) return Promise.all(requests.map(one));
    try {
      const res = await rpc.call<{ results: Res[] }>(many, { requests });
      if (res.results.length !== requests.length) throw new RpcError(RpcCode.Internal, `${many}: ${res.results.length} results for ${requests.length} requests`);
      return res.results;
    } catch (err) {
      if (!(err instanceof RpcError) || err.code !== RpcCode.Unimplemented) throw err;
      manyMissing = true;
      return Promise.all(requests.map(one));
    }
  }, MAX_BATCHED_READS);
  return async (request) => (await run([request]))[0];
}
