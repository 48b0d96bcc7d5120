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

/** A Reply to a client's request (an Upstream), sent later by the coordinator. */
export interface RoomReply {
  connId: string;
  seq: number;
  /** ErrorCode; 0 = ok. */
  code: number;
  message: string;
  payload?: Uint8Array;
}

/** Close a connection (all its apps, or only when one of them is the given app/device). */
export interface RoomKick {
  connId: string;
  /** A CloseCode: Kicked, Replaced, ... */
  code: number;
  reason: string;
}

export interface DrainOptions {
  /** Close (with Redirect first) at most this many sockets per batch. */
  batchSize?: number;
  /** Pause between batches, ms. */
  intervalMs?: number;
  /** Close whatever is left at this time, ms from now. */
  deadlineMs?: number;
}

/** What center and coordinator can ask of a room. */
export interface RoomService {
  readonly id: string;
  /** Writes a batch within one event-loop turn (each socket corked once). */
  deliver(batch: RoomDelivery[]): Promise<DeliverResult>;
  /** Sends Replies; connections gone meanwhile are skipped. Answers how many were sent. */
  reply(batch: RoomReply[]): Promise<number>;
  /** Closes connections with a Kick frame and the code. Answers how many were open. */
  kick(batch: RoomKick[]): Promise<number>;
  /** Marks the room draining and moves its clients elsewhere in batches; resolves when empty or at the deadline. */
  drain(opts?: DrainOptions): Promise<void>;
  /** Registers every live session again (after the register lost its data). Answers how many. */
  reflush(): Promise<number>;
}

/** Finds the room service for a room id (in-process, or an RPC client in a cluster). */
export interface RoomDirectory {
  /** From what is known now (a cache in a cluster): undefined for a room not seen yet. */
  room(roomId: string): RoomService | undefined;
  /** Like room(), but on a miss reads the registry again first (a room that just joined). */
  find?(roomId: string): Promise<RoomService | undefined>;
}

/** The room for an id, reading the registry again when the directory does not know it yet. */
export async function findRoom(rooms: RoomDirectory, roomId: string): Promise<RoomService | undefined> {
  return rooms.room(roomId) ?? (await rooms.find?.(roomId));
}
