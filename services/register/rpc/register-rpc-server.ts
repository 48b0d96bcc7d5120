import type { RegisterService } from '../../../shared/contracts/register';
import { batchedRequests } from '../../../shared/rpc/batched-read';
import { RpcCode, RpcError, type UnaryHandler } from '../../../shared/rpc/rpc';
import { InvalidSessionError } from '../store/validate';
import {
  MATCH_ALL,
  MATCH_ANY,
  num,
  refsFromWire,
  sessionToWire,
  sessionsFromWire,
  str,
  strings,
  type Wire,
} from './register-wire';

/** Bad input becomes INVALID_ARGUMENT with the store's own message; anything else stays as it is (INTERNAL). */
function guard(fn: (req: Wire) => Promise<Wire>): UnaryHandler {
  return async (req) => {
    try {
      return await fn(req);
    } catch (err) {
      if (err instanceof InvalidSessionError) throw new RpcError(RpcCode.InvalidArgument, err.message);
      throw err;
    }
  };
}

function matchMode(match: unknown): 'or' | 'and' {
  if (match === MATCH_ANY) return 'or';
  if (match === MATCH_ALL) return 'and';
  // The store refuses it with a clear message.
  return String(match) as 'or';
}

const empty = async (p: Promise<void>): Promise<Wire> => {
  await p;
  return {};
};

/**
 * The handlers of herald.v1.Register over a register (or any SessionStore): add them to an
 * RpcServer with REGISTER_RPC. Every call goes straight to the register, which validates it.
 */
export function registerRpcHandlers(register: RegisterService): Record<string, UnaryHandler> {
  const r = register;
  const subscriptions = async (q: Wire): Promise<Wire> => ({ names: await r.subscriptions(str(q.app), str(q.device)) });
  return {
    register: guard(async (q) => ({ replaced: (await r.register(sessionsFromWire(q.sessions))).map(sessionToWire) })),
    unregister: guard((q) => empty(r.unregister(refsFromWire(q.refs)))),
    touch: guard((q) => empty(r.touch(refsFromWire(q.refs)))),
    lookupDevices: guard(async (q) => ({ sessions: (await r.lookupDevices(str(q.app), strings(q.devices))).map(sessionToWire) })),
    userDevices: guard(async (q) => ({ devices: await r.userDevices(str(q.app), strings(q.users)) })),
    listRoom: guard(async (q) => ({ sessions: (await r.listRoom(str(q.roomId))).map(sessionToWire) })),
    epoch: guard(async () => ({ epoch: await r.epoch() })),
    setTags: guard((q) => empty(r.setTags(str(q.app), str(q.device), strings(q.names)))),
    tagsOf: guard(async (q) => ({ names: await r.tagsOf(str(q.app), str(q.device)) })),
    devicesByTags: guard(async (q) => {
      const page = await r.devicesByTags(str(q.app), strings(q.tags), matchMode(q.match), str(q.cursor), num(q.count));
      return { devices: page.devices, cursor: page.cursor };
    }),
    subscribe: guard((q) => empty(r.subscribe(str(q.app), str(q.device), strings(q.names)))),
    unsubscribe: guard((q) => empty(r.unsubscribe(str(q.app), str(q.device), strings(q.names)))),
    subscriptions: guard(subscriptions),
    subscriptionsMany: guard(async (q) => ({ results: await Promise.all(batchedRequests('subscriptionsMany', q).map(subscriptions)) })),
    subscribers: guard(async (q) => {
      const page = await r.subscribers(str(q.app), str(q.topic), str(q.cursor), num(q.count));
      return { devices: page.devices, cursor: page.cursor };
    }),
  };
}
