import * as grpc from '@grpc/grpc-js';
import { once } from '../lifecycle/lifecycle';
import type { Logger } from '../log/log';
import { loadService, type AnyMethod, type LoadedService } from './load';
import { RpcCode, RpcError, type RpcServer, type RpcServiceDef, type UnaryHandler } from './rpc';

/** Options of createRpcServer. */
export interface RpcServerOptions {
  host: string;
  /** 0 = a free port (start() answers the real one). */
  port: number;
  log: Logger;
  /** How long stop() waits for calls in progress before it forces them closed, ms (default 5000). */
  graceMs?: number;
  /** Largest message received or sent, bytes (default 16 MiB: calls are batched). */
  maxMessageBytes?: number;
}

const HEALTH = { name: 'grpc.health.v1.Health', file: 'health.proto' } as const;
const SERVING = 'SERVING';
const NOT_SERVING = 'NOT_SERVING';

type UnaryCall = grpc.ServerUnaryCall<Record<string, unknown>, Record<string, unknown>>;
type Callback = grpc.sendUnaryData<Record<string, unknown>>;

/** Marks a request that did not decode: the handler wrapper answers INVALID_ARGUMENT instead of calling it. */
const UNDECODABLE = Symbol('undecodable request');
type Undecodable = { [UNDECODABLE]: string };

/** The service definition with request decoding that never throws (grpc-js would answer INTERNAL). */
function tolerant(svc: LoadedService): grpc.ServiceDefinition {
  const out: Record<string, AnyMethod> = {};
  for (const [name, method] of Object.entries(svc.definition)) {
    const decode = (method as AnyMethod).requestDeserialize;
    out[name] = {
      ...(method as AnyMethod),
      requestDeserialize: (bytes: Buffer): Record<string, unknown> => {
        try {
          return decode(bytes);
        } catch (err) {
          const bad: Undecodable = { [UNDECODABLE]: err instanceof Error ? err.message : String(err) };
          return bad as unknown as Record<string, unknown>;
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The status an error becomes on the wire: an RpcError's own code, else INTERNAL. */
function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof RpcError) return { code: err.code, details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: message || 'internal error' };
}

/** Stops accepting and lets calls in progress finish for up to graceMs, then cuts them. */
function drain(server: grpc.Server, graceMs: number, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      log.warn('rpc: calls still running after the grace period; closing them', { graceMs });
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown((err) => {
      if (err) log.warn('rpc: graceful shutdown failed', { err });
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A gRPC server for Herald's internal services. Every added service also answers
 * grpc.health.v1.Health Check ('' and its own name): SERVING while running, NOT_SERVING once
 * stop() began. A handler that throws fails only its call; nothing a peer sends crashes it.
 */
export function createRpcServer(opts: RpcServerOptions): RpcServer {
  const log = opts.log.child({ component: 'rpc-server' });
  const graceMs = opts.graceMs ?? 5000;
  const maxBytes = opts.maxMessageBytes ?? 16 * 1024 * 1024;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
  });
  const health = new Map<string, string>([['', SERVING]]);
  let boundPort: number | undefined;
  let starting = false;
  let stopping = false;

  function wrap(service: string, method: string, handler: UnaryHandler) {
    return (call: UnaryCall, callback: Callback): void => {
      const request = call.request as Record<string | symbol, unknown> | null;
      if (request && UNDECODABLE in request) {
        log.warn('rpc: request did not decode', { service, method, err: request[UNDECODABLE] });
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `request did not decode as ${service}.${method}: ${String(request[UNDECODABLE])}` });
        return;
      }
      Promise.resolve()
        .then(() => handler(call.request ?? {}))
        .then(
          (reply) => callback(null, reply ?? {}),
          (err: unknown) => {
            const status = toStatus(err);
            if (status.code === grpc.status.INTERNAL) log.error('rpc handler failed', { service, method, err });
            else log.debug('rpc call refused', { service, method, code: status.code, details: status.details });
            callback(status);
          },
        );
    };
  }

  function addLoaded(svc: LoadedService, handlers: Record<string, UnaryHandler>): void {
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [name, handler] of Object.entries(handlers)) {
      if (!svc.methods.has(name)) throw new Error(`rpc: ${svc.name} has no unary method ${name}`);
      impl[name] = wrap(svc.name, name, handler);
    }
    const missing = [...svc.methods.keys()].filter((m) => !(m in handlers));
    if (missing.length > 0) log.warn('rpc: methods without a handler answer UNIMPLEMENTED', { service: svc.name, missing });
    server.addService(tolerant(svc), impl);
  }

  function check(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const status = health.get(String(request.service ?? ''));
    if (status === undefined) return Promise.reject(new RpcError(RpcCode.NotFound, `unknown service ${String(request.service)}`));
    return Promise.resolve({ status: stopping ? NOT_SERVING : status });
  }
  addLoaded(loadService(HEALTH), { check });

  return {
    add(def: RpcServiceDef, handlers: Record<string, UnaryHandler>): void {
      if (starting) throw new Error(`rpc: add ${def.name} before start()`);
      if (health.has(def.name)) throw new Error(`rpc: service ${def.name} added twice`);
      addLoaded(loadService(def), handlers);
      health.set(def.name, SERVING);
    },

    start(): Promise<number> {
      if (starting || stopping) return Promise.reject(new Error('rpc: server already started or stopped'));
      starting = true;
      const where = hostPort(opts.host, opts.port);
      return new Promise((resolve, reject) => {
        server.bindAsync(where, grpc.ServerCredentials.createInsecure(), (err, port) => {
          if (err) return reject(new Error(`rpc: cannot listen on ${where}: ${err.message}`, { cause: err }));
          boundPort = port;
          log.info('rpc server listening', { address: hostPort(opts.host, port), services: [...health.keys()].filter(Boolean) });
          resolve(port);
        });
      });
    },

    stop: once(async () => {
      stopping = true;
      if (boundPort === undefined) {
        server.forceShutdown();
        return;
      }
      await drain(server, graceMs, log);
      log.info('rpc server stopped', { address: hostPort(opts.host, boundPort) });
    }),

    address(): string {
      if (boundPort === undefined) throw new Error('rpc: server not started');
      return hostPort(opts.host, boundPort);
    },
  };
}
