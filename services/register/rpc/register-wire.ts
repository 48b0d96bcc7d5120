import type { Page, Session, SessionRef } from '../../../shared/contracts/register';
import type { RpcServiceDef } from '../../../shared/rpc/rpc';

/** The register's RPC service (proto/herald/v1/register.proto). */
export const REGISTER_RPC: RpcServiceDef = { name: 'herald.v1.Register', file: 'register.proto' };

/** Methods safe to retry on another register: all but register (it answers what it replaced). */
export const REGISTER_IDEMPOTENT = [
  'unregister',
  'touch',
  'lookupDevices',
  'userDevices',
  'listRoom',
  'epoch',
  'setTags',
  'tagsOf',
  'devicesByTags',
  'subscribe',
  'unsubscribe',
  'subscriptions',
  'subscriptionsMany',
  'subscribers',
];

/** A message as proto-loader gives it (camelCase fields, defaults filled). */
export type Wire = Record<string, unknown>;

export const MATCH_ANY = 'REGISTER_TAG_MATCH_ANY';
export const MATCH_ALL = 'REGISTER_TAG_MATCH_ALL';

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const wires = (v: unknown): Wire[] => (Array.isArray(v) ? (v as Wire[]) : []);

/** A session as the wire carries it: absent optional fields as "". */
export function sessionToWire(s: Session): Wire {
  return {
    app: s.app,
    device: s.device,
    user: s.user ?? '',
    roomId: s.roomId,
    connId: s.connId,
    since: s.since,
    platform: s.platform ?? '',
    network: s.network ?? '',
  };
}

/** A session from the wire: "" optional fields are left out, as the stores answer them. */
export function sessionFromWire(w: Wire): Session {
  const s: Session = { app: str(w.app), device: str(w.device), roomId: str(w.roomId), connId: str(w.connId), since: num(w.since) };
  const user = str(w.user);
  const platform = str(w.platform);
  const network = str(w.network);
  if (user !== '') s.user = user;
  if (platform !== '') s.platform = platform;
  if (network !== '') s.network = network;
  return s;
}

export const sessionsFromWire = (v: unknown): Session[] => wires(v).map(sessionFromWire);

export function refsFromWire(v: unknown): SessionRef[] {
  return wires(v).map((w) => ({ app: str(w.app), device: str(w.device), connId: str(w.connId) }));
}

export function pageFromWire(w: Wire): Page {
  return { devices: strings(w.devices), cursor: str(w.cursor) };
}
