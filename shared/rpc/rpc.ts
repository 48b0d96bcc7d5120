/**
 * Internal RPC: gRPC (@grpc/grpc-js) with service definitions from proto/herald/v1/*.proto,
 * loaded through protobufjs (@grpc/proto-loader). Handlers and callers see plain objects:
 * camelCase fields, 64-bit integers as numbers, bytes as Buffer, defaults filled, oneofs named.
 *
 * Every call has a deadline. Only methods listed as idempotent are retried (on UNAVAILABLE or
 * DEADLINE_EXCEEDED, on the next address). A client is made once per peer service and reused;
 * with several addresses it spreads calls round-robin and skips an address that failed for a
 * short while. Servers also serve grpc.health.v1.Health ("" and each service name).
 */

/** A unary handler: the request object in, the response object out (throw RpcError to fail). */
export type UnaryHandler = (request: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface RpcServiceDef {
  /** Fully qualified, e.g. 'herald.v1.Register'. */
  name: string;
  /** The proto file under proto/herald/v1/, e.g. 'register.proto'. */
  file: string;
}

export interface RpcServer {
  /** Adds a service with one handler per method (lowerCamel method names, as proto-loader gives). */
  add(def: RpcServiceDef, handlers: Record<string, UnaryHandler>): void;
  /** Binds host:port (0 = a free port) and answers the port. */
  start(): Promise<number>;
  /** Stops accepting, waits for calls in progress up to the grace period, then forces. */
  stop(): Promise<void>;
  address(): string;
}

export interface RpcClientOptions {
  /** host:port of each instance of the peer service. */
  addresses: string[];
  /** Per call, ms (default 5000). */
  deadlineMs?: number;
  /** Methods safe to retry (default none). */
  idempotent?: string[];
  /** Attempts for an idempotent call (default 3). */
  attempts?: number;
}

export interface RpcClient {
  call<Res = Record<string, unknown>>(method: string, request: Record<string, unknown>, deadlineMs?: number): Promise<Res>;
  close(): void;
}

/** gRPC status codes the project uses (grpc.status values). */
export const RpcCode = {
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  FailedPrecondition: 9,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
} as const;

/** An error carrying a gRPC status code across the wire. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}
