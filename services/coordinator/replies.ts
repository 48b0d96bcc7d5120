import type { Registry } from 'prom-client';
import { findRoom, type RoomDirectory, type RoomReply } from '../../shared/contracts/room';
import type { Logger } from '../../shared/log/log';
import { counter } from '../../shared/metrics/metrics';

/** Collects Replies per room and sends each room one batch per event-loop turn. */
export interface Replier {
  add(roomId: string, reply: RoomReply): void;
  /** Resolves once everything added so far was handed to the rooms. */
  flush(): Promise<void>;
}

export function createReplier(rooms: RoomDirectory, log: Logger, metrics: Registry): Replier {
  const sent = counter(metrics, 'herald_coordinator_replies_total', 'Upstream Replies handed to rooms, by outcome', ['outcome']);
  let pending = new Map<string, RoomReply[]>();
  let scheduled: Promise<void> | undefined;
  const running = new Set<Promise<void>>();

  async function sendRoom(roomId: string, batch: RoomReply[]): Promise<void> {
    const room = await findRoom(rooms, roomId);
    if (!room) {
      sent.inc({ outcome: 'no_room' }, batch.length);
      log.warn('replies for a room this coordinator does not know, dropped', { room: roomId, replies: batch.length });
      return;
    }
    try {
      const n = await room.reply(batch);
      sent.inc({ outcome: 'sent' }, n);
      if (n < batch.length) sent.inc({ outcome: 'gone' }, batch.length - n);
    } catch (err) {
      sent.inc({ outcome: 'failed' }, batch.length);
      log.error('could not send replies to a room', { room: roomId, replies: batch.length, err });
    }
  }

  async function run(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const batches = pending;
    pending = new Map();
    scheduled = undefined;
    await Promise.all([...batches].map(([roomId, batch]) => sendRoom(roomId, batch)));
  }

  return {
    add(roomId, reply) {
      let list = pending.get(roomId);
      if (!list) pending.set(roomId, (list = []));
      list.push(reply);
      if (scheduled) return;
      const p = run().finally(() => running.delete(p));
      scheduled = p;
      running.add(p);
    },
    flush: async () => {
      while (running.size) await Promise.all([...running]);
    },
  };
}
