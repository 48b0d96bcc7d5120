/** A device of an app: the unit sessions, inboxes and deliveries are keyed by. */
export interface DeviceKey {
  app: string;
  device: string;
}

/** One live connection's registration of one app on a device. */
export interface Session extends DeviceKey {
  /** User alias from the token's uid, if any. */
  user?: string;
  roomId: string;
  /** Unique per connection across the cluster; lets a stale unregister be ignored. */
  connId: string;
  /** Milliseconds since the Unix epoch. */
  since: number;
  platform?: string;
  network?: string;
}

export type SessionRef = DeviceKey & { connId: string };

/**
 * The global session store (register). All calls are batched: one call, many sessions.
 * - register upserts: a device has at most one session per app, the last registration wins.
 *   A session with a user also records device -> user in the user's device list.
 * - unregister and touch act only where the stored connId matches, so a late call from an
 *   old connection never removes or extends the device's newer session elsewhere.
 * - A session not touched within the store's TTL disappears by itself.
 * - userDevices lists every device ever registered with the user (online or not, until the
 *   user index's own TTL), so a user push reaches offline devices too.
 */
export interface SessionStore {
  /** Answers the live sessions it replaced: same app and device, another connId. */
  register(sessions: Session[]): Promise<Session[]>;
  unregister(refs: SessionRef[]): Promise<void>;
  touch(refs: SessionRef[]): Promise<void>;
  /** Sessions of the given devices that are online; offline devices are left out. */
  lookupDevices(app: string, devices: string[]): Promise<Session[]>;
  /** Known devices of the given users, with the user each belongs to. */
  userDevices(app: string, users: string[]): Promise<{ user: string; device: string }[]>;
  /** Every live session held by a room. */
  listRoom(roomId: string): Promise<Session[]>;
  /**
   * The store's epoch: a random id created when the store is empty. It changes when the data
   * was lost (Redis flushed or replaced); then every room must register its sessions again.
   */
  epoch(): Promise<string>;

  /** Replaces a device's tags. Tags and subscriptions belong to the device, not the session: they outlive it. */
  setTags(app: string, device: string, tags: string[]): Promise<void>;
  tagsOf(app: string, device: string): Promise<string[]>;
  /**
   * Devices with any ('or') or all ('and') of the tags, a page at a time: start with cursor '',
   * stop when the answer's cursor is ''. A page may hold fewer than count devices.
   */
  devicesByTags(app: string, tags: string[], mode: 'or' | 'and', cursor: string, count: number): Promise<Page>;
  /** Adds topic subscriptions of a device (idempotent). */
  subscribe(app: string, device: string, topics: string[]): Promise<void>;
  unsubscribe(app: string, device: string, topics: string[]): Promise<void>;
  subscriptions(app: string, device: string): Promise<string[]>;
  /** Devices subscribed to a topic, paged as devicesByTags. */
  subscribers(app: string, topic: string, cursor: string, count: number): Promise<Page>;
  close(): Promise<void>;
}

export interface Page {
  devices: string[];
  /** '' when there is nothing more. */
  cursor: string;
}

/** The register service as other services see it (in-process now, RPC later). */
export type RegisterService = Omit<SessionStore, 'close'>;
