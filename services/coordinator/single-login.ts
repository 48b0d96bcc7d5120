import type { Registry } from 'prom-client';
import type { AppStore } from '../../shared/contracts/apps';
import type { Session } from '../../shared/contracts/register';
import { findRoom, type RoomDirectory, type RoomKick } from '../../shared/contracts/room';
import type { Logger } from '../../shared/log/log';
import { counter } from '../../shared/metrics/metrics';
import { CloseCode } from '../../shared/protocol/codes';

export interface KickResult {
  /** Connections the rooms said were open and closed. */
  kicked: number;
  /** Rooms that could not be reached (unknown here, or their kick failed). */
  failedRooms: string[];
}

/** Sends each room one kick batch; never throws. */
export async function kickByRoom(rooms: RoomDirectory, byRoom: Map<string, RoomKick[]>, log: Logger): Promise<KickResult> {
  const result: KickResult = { kicked: 0, failedRooms: [] };
  await Promise.all(
    [...byRoom].map(async ([roomId, batch]) => {
      const room = await findRoom(rooms, roomId);
      if (!room) {
        result.failedRooms.push(roomId);
        log.warn('kick for a room this process does not know', { room: roomId, connections: batch.length });
        return;
      }
      try {
        const n = await room.kick(batch);
        result.kicked += n;
      } catch (err) {
        result.failedRooms.push(roomId);
        log.error('kick failed on a room', { room: roomId, connections: batch.length, err });
      }
    }),
  );
  return result;
}

/** Single login: closes the sessions a new registration replaced, for apps that ask for it. */
export function createSingleLogin(deps: { apps: AppStore; rooms: RoomDirectory; log: Logger; metrics: Registry }) {
  const log = deps.log.child({ component: 'single-login' });
  const replaced = counter(deps.metrics, 'herald_coordinator_replaced_total', 'Old sessions closed by single login');
  return async (pairs: { now: Session; old: Session }[]): Promise<void> => {
    const singleLogin = new Map<string, boolean>();
    const byRoom = new Map<string, RoomKick[]>();
    for (const { now, old } of pairs) {
      if (!old || !now || typeof old.roomId !== 'string' || typeof old.connId !== 'string' || old.connId === now.connId) continue;
      if (!singleLogin.has(old.app)) singleLogin.set(old.app, (await deps.apps.get(old.app))?.singleLogin === true);
      if (!singleLogin.get(old.app)) continue;
      let batch = byRoom.get(old.roomId);
      if (!batch) byRoom.set(old.roomId, (batch = []));
      batch.push({ connId: old.connId, code: CloseCode.Replaced, reason: 'replaced by a new session' });
    }
    if (byRoom.size === 0) return;
    const r = await kickByRoom(deps.rooms, byRoom, log);
    replaced.inc(r.kicked);
    log.info('single login closed replaced sessions', { kicked: r.kicked, rooms: byRoom.size, failedRooms: r.failedRooms });
  };
}
