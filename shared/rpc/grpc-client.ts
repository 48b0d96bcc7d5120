import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../log/log';
import { loadService, shortName, type AnyMethod } from './load';
import { RpcCode, RpcError, type RpcClient, type RpcClientOptions, type RpcServiceDef } from './rpc';

/** How long an address that answered UNAVAILABLE is skipped, ms. */
const SKIP_MS = 1000;
const DEFAULT_DEADLINE_MS = 5000;
const DEFAULT_ATTEMPTS = 3;

interface Peer {
  address: string;
  client: grpc.Client;
  /** Skipped by the round-robin until this time (ms since epoch). */
  downUntil: number;
}

const channelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.max_send_message_length': 16 * 1024 * 1024,
  // A restarted peer must be reachable again within seconds, not grpc's default two minutes.
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
};

function statusName(code: number): string {
  return (grpc.status as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

function retryable(code: number): boolean {
  return code === RpcCode.Unavailable || code === RpcCode.DeadlineExceeded;
}

/**
 * How long a call that found its channel unconnected waits for it on the next try, ms: a little
 * over the longest reconnect backoff, so a peer restarted meanwhile is reached within it.
 */
const PATIENT_MS = 2500;

/** UNAVAILABLE before anything was sent (the channel had no connection): safe to send again, idempotent or not. */
class UnsentError extends RpcError {}

function unsent(err: grpc.ServiceError): boolean {
  return err.code === grpc.status.UNAVAILABLE && /No connection established/.test(err.details || err.message);
}

/**
 * A client of one peer service over gRPC: one channel per address, made here once and reused.
 * Calls go round-robin over the addresses, skipping for ~1 s one that answered UNAVAILABLE.
 * Each attempt has its own deadline; idempotent methods are retried on UNAVAILABLE or
 * DEADLINE_EXCEEDED on the next address. Failures reject with an RpcError whose message names
 * the call and the address: `register.lookupDevices via 127.0.0.1:7001: UNAVAILABLE: ...`.
 */
export function createRpcClient(def: RpcServiceDef, opts: RpcClientOptions, log: Logger): RpcClient {
  if (opts.addresses.length === 0) throw new Error(`rpc: no addresses for ${def.name}`);
  const svc = loadService(def);
  const short = shortName(def.name);
  const deadlineDefault = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const attempts = Math.max(1, opts.attempts ?? DEFAULT_ATTEMPTS);
  const idempotent = new Set(opts.idempotent ?? []);
  for (const m of idempotent) if (!svc.methods.has(m)) throw new Error(`rpc: ${def.name} has no method ${m} (listed as idempotent)`);
  const peers: Peer[] = opts.addresses.map((address) => ({
    address,
    client: new grpc.Client(address, grpc.credentials.createInsecure(), channelOptions),
    downUntil: 0,
  }));
  const clog = log.child({ component: 'rpc-client', service: def.name });
  let next = 0;
  let closed = false;

  /** The next address in turn that is not being skipped (or, if all are, the next in turn). */
  function pick(avoid?: Peer): Peer {
    const now = Date.now();
    for (let i = 0; i < peers.length; i++) {
      const p = peers[(next + i) % peers.length];
      if (p.downUntil <= now && p !== avoid) {
        next = (next + i + 1) % peers.length;
        return p;
      }
    }
    const p = peers[next % peers.length];
    next = (next + 1) % peers.length;
    return p;
  }

  /** One try; waitForReady: queue the call until the channel connects (within ms) instead of failing at once. */
  function attemptOn<Res>(peer: Peer, name: string, method: AnyMethod, request: Record<string, unknown>, ms: number, waitForReady = false): Promise<Res> {
    return new Promise((resolve, reject) => {
      peer.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        new grpc.Metadata({ waitForReady }),
        { deadline: Date.now() + ms },
        (err, reply) => {
          if (!err) return resolve(reply as Res);
          if (err.code === grpc.status.UNAVAILABLE) peer.downUntil = Date.now() + SKIP_MS;
          const message = `${short}.${name} via ${peer.address}: ${statusName(err.code)}: ${err.details || err.message}`;
          reject(unsent(err) ? new UnsentError(err.code, message) : new RpcError(err.code, message));
        },
      );
    });
  }

  /**
   * A call that found no connection was never sent: once its tries are used up, it goes once
   * more (to the next address, or with one address the same) and waits up to PATIENT_MS for the
   * channel, so a peer in its reconnect backoff after a restart takes it. A peer still down then
   * answers the first error.
   */
  async function patiently<Res>(first: UnsentError, last: Peer, name: string, method: AnyMethod, request: Record<string, unknown>, ms: number): Promise<Res> {
    try {
      return await attemptOn<Res>(pick(peers.length > 1 ? last : undefined), name, method, request, Math.min(ms, PATIENT_MS), true);
    } catch (err) {
      throw err instanceof RpcError && err.code === RpcCode.DeadlineExceeded ? first : err;
    }
  }

  return {
    async call<Res = Record<string, unknown>>(name: string, request: Record<string, unknown>, deadlineMs?: number): Promise<Res> {
      if (closed) throw new RpcError(RpcCode.Unavailable, `${short}.${name}: the client is closed`);
      const method = svc.methods.get(name);
      if (!method) throw new RpcError(RpcCode.InvalidArgument, `${short}.${name}: ${def.name} has no such method`);
      const tries = idempotent.has(name) ? attempts : 1;
      let last: Peer | undefined;
      for (let attempt = 1; ; attempt++) {
        const peer = pick(last);
        try {
          return await attemptOn<Res>(peer, name, method, request, deadlineMs ?? deadlineDefault);
        } catch (err) {
          if (err instanceof UnsentError && attempt >= tries && !closed) return patiently<Res>(err, peer, name, method, request, deadlineMs ?? deadlineDefault);
          if (!(err instanceof RpcError) || !retryable(err.code) || attempt >= tries || closed) throw err;
          clog.debug('rpc: retrying on the next address', { method: name, attempt, err: err.message });
          // With one address there is nowhere else to go: give it a moment before trying again.
          if (peers.length === 1) await new Promise((r) => setTimeout(r, 50 * attempt));
          last = peer;
        }
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      for (const p of peers) p.client.close();
    },
  };
}
