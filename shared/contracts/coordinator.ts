import type { Session } from './register';

/** A client's Upstream frame, as the room hands it over. */
export interface UpstreamRequest {
  app: string;
  device: string;
  user?: string;
  type: string;
  payload: Uint8Array;
  roomId: string;
  connId: string;
  /** The frame's seq: the Reply echoes it. */
  seq: number;
}

/** An online/offline change of a device, reported by its room. Times in ms since the epoch. */
export interface StatusEvent {
  app: string;
  device: string;
  user?: string;
  roomId: string;
  online: boolean;
  time: number;
  /** Why it went offline (a close code name, 'kicked', 'replaced', 'drain', ...) or 'connect'. */
  reason: string;
}

/**
 * The coordinator as rooms and center see it. Calls return once the work is accepted: the
 * answer to an upstream reaches the device later as a Reply through RoomService.reply.
 */
export interface CoordinatorService {
  /** Forwards to the app's webhook for the type (signed, retried); the Reply follows. */
  upstream(requests: UpstreamRequest[]): Promise<void>;
  /** Online/offline events, batched to the apps that subscribe. */
  status(events: StatusEvent[]): Promise<void>;
  /** Sessions a room just registered that replaced others: applies single login (kick 'replaced'). */
  replaced(sessions: { now: Session; old: Session }[]): Promise<void>;
}
