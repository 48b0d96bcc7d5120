import type { RegisterService } from '../../../shared/contracts/register';
import { batchedRead } from '../../../shared/rpc/batched-read';
import { createRpcClient } from '../../../shared/rpc/grpc-client';
import type { Logger } from '../../../shared/log/log';
import { RpcCode, RpcError, type RpcClientOptions } from '../../../shared/rpc/rpc';
import { InvalidSessionError, checkId, checkIds, checkRefs, checkSessions } from '../store/validate';
import {
  MAX_SUBSCRIPTIONS_PER_DEVICE,
  MAX_TAGS_PER_DEVICE,
  checkCount,
  checkDevice,
  checkMode,
  checkName,
  checkNames,
} from '../store/validate-tags';
import {
  MATCH_ALL,
  MATCH_ANY,
  REGISTER_IDEMPOTENT,
  REGISTER_RPC,
  pageFromWire,
  sessionToWire,
  sessionsFromWire,
  str,
  strings,
  type Wire,
} from './register-wire';

function checkCursor(op: string, cursor: unknown): asserts cursor is string {
  if (typeof cursor !== 'string') throw new InvalidSessionError(`${op}: cursor must be a string from an earlier page`);
}

/**
 * The register over RPC, for processes that do not hold it: the same RegisterService contract.
 * Input is checked here first with the store's own rules (the wire cannot carry a wrong type);
 * a refusal from the register (INVALID_ARGUMENT) rejects with an InvalidSessionError too, so
 * callers handle both alike. Other failures reject with an RpcError naming the call and address.
 * All methods but register are retried on another address (see REGISTER_IDEMPOTENT).
 */
export function createRegisterClient(opts: RpcClientOptions, log: Logger): RegisterService & { close(): void } {
  const rpc = createRpcClient(REGISTER_RPC, { ...opts, idempotent: opts.idempotent ?? REGISTER_IDEMPOTENT }, log);

  async function call(method: string, request: Wire): Promise<Wire> {
    try {
      return await rpc.call<Wire>(method, request);
    } catch (err) {
      if (err instanceof RpcError && err.code === RpcCode.InvalidArgument) throw new InvalidSessionError(err.message, { cause: err });
      throw err;
    }
  }
  // The read of every connect, batched per turn (each request is checked before it joins).
  const subscriptions = batchedRead<Wire>({ call: <Res>(m: string, q: Wire) => call(m, q) as Promise<Res>, close: () => rpc.close() }, 'subscriptions', 'subscriptionsMany');

  return {
    async register(sessions) {
      checkSessions(sessions);
      return sessionsFromWire((await call('register', { sessions: sessions.map(sessionToWire) })).replaced);
    },
    async unregister(refs) {
      checkRefs('unregister', refs);
      await call('unregister', { refs });
    },
    async touch(refs) {
      checkRefs('touch', refs);
      await call('touch', { refs });
    },
    async lookupDevices(app, devices) {
      checkId('lookupDevices', 'app', app);
      checkIds('lookupDevices', 'devices', devices);
      return sessionsFromWire((await call('lookupDevices', { app, devices })).sessions);
    },
    async userDevices(app, users) {
      checkId('userDevices', 'app', app);
      checkIds('userDevices', 'users', users);
      const got = (await call('userDevices', { app, users })).devices;
      return (Array.isArray(got) ? (got as Wire[]) : []).map((d) => ({ user: str(d.user), device: str(d.device) }));
    },
    async listRoom(roomId) {
      checkId('listRoom', 'roomId', roomId);
      return sessionsFromWire((await call('listRoom', { roomId })).sessions);
    },
    async epoch() {
      return str((await call('epoch', {})).epoch);
    },
    async setTags(app, device, tags) {
      checkDevice('setTags', app, device);
      await call('setTags', { app, device, names: checkNames('setTags', 'tags', tags, MAX_TAGS_PER_DEVICE) });
    },
    async tagsOf(app, device) {
      checkDevice('tagsOf', app, device);
      return strings((await call('tagsOf', { app, device })).names);
    },
    async devicesByTags(app, tags, mode, cursor, count) {
      checkId('devicesByTags', 'app', app);
      const names = checkNames('devicesByTags', 'tags', tags, MAX_TAGS_PER_DEVICE);
      checkMode(mode);
      checkCursor('devicesByTags', cursor);
      checkCount('devicesByTags', count);
      const match = mode === 'and' ? MATCH_ALL : MATCH_ANY;
      return pageFromWire(await call('devicesByTags', { app, tags: names, match, cursor, count }));
    },
    async subscribe(app, device, topics) {
      checkDevice('subscribe', app, device);
      await call('subscribe', { app, device, names: checkNames('subscribe', 'topics', topics, MAX_SUBSCRIPTIONS_PER_DEVICE) });
    },
    async unsubscribe(app, device, topics) {
      checkDevice('unsubscribe', app, device);
      await call('unsubscribe', { app, device, names: checkNames('unsubscribe', 'topics', topics, MAX_SUBSCRIPTIONS_PER_DEVICE) });
    },
    async subscriptions(app, device) {
      checkDevice('subscriptions', app, device);
      return strings((await subscriptions({ app, device })).names);
    },
    async subscribers(app, topic, cursor, count) {
      checkId('subscribers', 'app', app);
      checkName('subscribers', 'topic', topic);
      checkCursor('subscribers', cursor);
      checkCount('subscribers', count);
      return pageFromWire(await call('subscribers', { app, topic, cursor, count }));
    },
    close: () => rpc.close(),
  };
}
