import type { Session, SessionRef, SessionStore } from '../../../shared/contracts/register';
import { clockNow, fromClock, toClock } from '../../../shared/lifecycle/clock';
import { newEpoch } from './epoch';
import { createMemoryTagIndex } from './memory-tag-index';
import { DEFAULT_SESSION_TTL_SECONDS, DEFAULT_USER_TTL_SECONDS, checkId, checkIds, checkRefs, checkSessions, ttlMs } from './validate';

export interface MemorySessionStoreOptions {
  /** A session not touched within this many seconds disappears. Default 180. */
  sessionTtlSeconds?: number;
  /** A user's device list is forgotten this many seconds after its last register. Default 30 days. */
  userTtlSeconds?: number;
}

/**
 * A stored session (see stored()): one object per device. Its times are ms on the process clock
 * (shared/lifecycle/clock.ts), small integers that V8 keeps in the object's fields as they are:
 * ms since the epoch are not, and each such field held a boxed number of its own (16 B each).
 */
type Entry = Omit<Session, 'since'> & { at: number; exp: number };

/** The sessions of one app: device -> entry, user -> (device -> expiry on the process clock). */
interface AppSessions {
  devices: Map<string, Entry>;
  users: Map<string, Map<string, number>>;
}

/**
 * Sessions in process memory (standalone mode). Expiry is lazy (checked on read) plus an
 * amortized sweep at most once per session TTL, so the store needs no timer. The epoch is made
 * with the store: memory data is only lost with the process, and a new process has a new store.
 */
export function createMemorySessionStore(opts: MemorySessionStoreOptions = {}): SessionStore {
  const sessionTtl = ttlMs(opts.sessionTtlSeconds, DEFAULT_SESSION_TTL_SECONDS, 'sessionTtlSeconds');
  const userTtl = ttlMs(opts.userTtlSeconds, DEFAULT_USER_TTL_SECONDS, 'userTtlSeconds');
  const apps = new Map<string, AppSessions>();
  let nextSweep = clockNow() + sessionTtl;
  let closed = false;
  const epoch = newEpoch();

  const appOf = (app: string): AppSessions => {
    let a = apps.get(app);
    if (!a) apps.set(app, (a = { devices: new Map(), users: new Map() }));
    return a;
  };

  const drop = (e: Entry): void => {
    apps.get(e.app)?.devices.delete(e.device);
  };

  /** The live entry of a device, dropping it first if it has expired. */
  const live = (app: string, device: string, now: number): Entry | undefined => {
    const e = apps.get(app)?.devices.get(device);
    if (!e) return undefined;
    if (e.exp > now) return e;
    drop(e);
    return undefined;
  };

  const sweep = (now: number): void => {
    if (now < nextSweep) return;
    nextSweep = now + sessionTtl;
    for (const [app, a] of apps) {
      for (const e of a.devices.values()) if (e.exp <= now) drop(e);
      for (const [user, devs] of a.users) {
        for (const [d, exp] of devs) if (exp <= now) devs.delete(d);
        if (devs.size === 0) a.users.delete(user);
      }
      if (a.devices.size === 0 && a.users.size === 0) apps.delete(app);
    }
  };

  const addUser = (a: AppSessions, user: string, device: string, now: number): void => {
    let devs = a.users.get(user);
    if (!devs) a.users.set(user, (devs = new Map()));
    devs.set(device, now + userTtl);
  };

  /** Stores s; answers the live session of another connection it replaced, if any. */
  const registerOne = (s: Session, now: number): Session | undefined => {
    const a = appOf(s.app);
    const old = live(s.app, s.device, now);
    if (old) {
      drop(old);
      // The device moved to another user: the old user no longer reaches it.
      if (old.user && s.user && old.user !== s.user) a.users.get(old.user)?.delete(s.device);
    }
    const e = stored(s, now + sessionTtl);
    a.devices.set(s.device, e);
    if (s.user) addUser(a, s.user, s.device, now);
    return old && old.connId !== s.connId ? copy(old) : undefined;
  };

  const assertOpen = (): void => {
    if (closed) throw new Error('session store is closed');
  };
  // Tags and subscriptions live apart from sessions: they outlive unregister and expiry.
  const tags = createMemoryTagIndex(assertOpen);

  return {
    async register(sessions) {
      assertOpen();
      checkSessions(sessions);
      const now = clockNow();
      sweep(now);
      const replaced: Session[] = [];
      for (const s of sessions) {
        const old = registerOne(s, now);
        if (old) replaced.push(old); // dropped from the store: no one else holds it
      }
      return replaced;
    },
    async unregister(refs) {
      assertOpen();
      checkRefs('unregister', refs);
      const now = clockNow();
      for (const r of refs) {
        const e = matching(r, now);
        if (e) drop(e);
      }
    },
    async touch(refs) {
      assertOpen();
      checkRefs('touch', refs);
      const now = clockNow();
      for (const r of refs) {
        const e = matching(r, now);
        if (e) e.exp = now + sessionTtl;
      }
    },
    async lookupDevices(app, devices) {
      assertOpen();
      checkId('lookupDevices', 'app', app);
      checkIds('lookupDevices', 'devices', devices);
      const now = clockNow();
      const out: Session[] = [];
      for (const d of new Set(devices)) {
        const e = live(app, d, now);
        if (e) out.push(copy(e));
      }
      return out;
    },
    async userDevices(app, users) {
      assertOpen();
      checkId('userDevices', 'app', app);
      checkIds('userDevices', 'users', users);
      const now = clockNow();
      const out: { user: string; device: string }[] = [];
      const a = apps.get(app);
      for (const user of new Set(users)) {
        for (const [device, exp] of a?.users.get(user) ?? []) if (exp > now) out.push({ user, device });
      }
      return out;
    },
    async listRoom(roomId) {
      assertOpen();
      checkId('listRoom', 'roomId', roomId);
      const now = clockNow();
      const out: Session[] = [];
      // A scan, not an index by room: a standalone process has one room, and an index entry per
      // session (a Set's) cost more than the session itself.
      for (const a of apps.values()) {
        for (const e of a.devices.values()) {
          if (e.roomId !== roomId) continue;
          if (e.exp > now) out.push(copy(e));
          else drop(e);
        }
      }
      return out;
    },
    async epoch() {
      assertOpen();
      return epoch;
    },
    setTags: tags.setTags,
    tagsOf: tags.tagsOf,
    devicesByTags: tags.devicesByTags,
    subscribe: tags.subscribe,
    unsubscribe: tags.unsubscribe,
    subscriptions: tags.subscriptions,
    subscribers: tags.subscribers,
    async close() {
      closed = true;
      apps.clear();
      tags.clear();
    },
  };

  function matching(r: SessionRef, now: number): Entry | undefined {
    const e = live(r.app, r.device, now);
    return e && e.connId === r.connId ? e : undefined;
  }
}

/**
 * What the store keeps: every field present (absent ones undefined), so all entries share one
 * shape. Adding optional fields one by one gives each entry a properties store of its own.
 */
function stored(s: Session, exp: number): Entry {
  return { app: s.app, device: s.device, user: s.user || undefined, roomId: s.roomId, connId: s.connId, at: toClock(s.since), platform: s.platform || undefined, network: s.network || undefined, exp };
}

/** The Session an entry holds, with only the fields that are set: callers can't change what the store holds. */
function copy(s: Entry): Session {
  const out: Session = { app: s.app, device: s.device, roomId: s.roomId, connId: s.connId, since: fromClock(s.at) };
  if (s.user) out.user = s.user;
  if (s.platform) out.platform = s.platform;
  if (s.network) out.network = s.network;
  return out;
}
