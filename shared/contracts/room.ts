import type { Message } from './saver';

/** One message for one connection on a room. */
export interface RoomDelivery {
  connId: string;
  app: string;
  device: string;
  message: Message;
  /** For a broadcast/topic message delivered one by one (a paced push): its log and seq, so the ack moves the device's watermark. */
  log?: string;
  seq?: number;
}

export interface DeliverResult {
  /** Written to a socket. */
  sent: number;
  /** No such connection (gone) or the app is not bound on it; qos 1 messages stay stored. */
  missing: number;
  /** The saver refused (dead-lettered, acked, expired). */
  refused: number;
}

/** What center and coordinator can ask of a room. */
export interface RoomService {
  readonly id: string;
  /** Writes a batch within one event-loop turn (each socket corked once). */
  deliver(batch: RoomDelivery[]): Promise<DeliverResult>;
}

/** Finds the room service for a room id (in-process, or an RPC client in a cluster). */
export interface RoomDirectory {
  room(roomId: string): RoomService | undefined;
}
