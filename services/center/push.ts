import type { Registry } from 'prom-client';
import { createCoalescer } from '../../shared/batching/coalescer';
import type { DeviceKey, RegisterService, Session } from '../../shared/contracts/register';
import { findRoom, type RoomDelivery, type RoomDirectory } from '../../shared/contracts/room';
import type { Message } from '../../shared/contracts/saver';
import type { Logger } from '../../shared/log/log';
import { counter, histogram } from '../../shared/metrics/metrics';

export interface SenderDeps {
  register: RegisterService;
  rooms: RoomDirectory;
  log: Logger;
  metrics: Registry;
  /** Devices looked up in register per call. */
  lookupBatch: number;
}

/** Where a broadcast/topic message sits in its log, for deliveries one by one (paced). */
export interface LogRef {
  log: string;
  seq: number;
}

/** Hands stored messages to the rooms holding their targets. */
export interface Sender {
  /** Starts sending in the background; never throws (failures are logged and counted, the message stays stored). */
  send(message: Message, devices: string[]): void;
  /** As send, awaited: looks the devices up in batches and hands each room its batch; never rejects. */
  sendNow(message: Message, devices: string[]): Promise<void>;
  /** Hands sessions already looked up to their rooms, one deliver() per room; never rejects. */
  toRooms(message: Message, sessions: Session[], log?: LogRef): Promise<void>;
  /** Sends in progress. */
  inFlight(): number;
  /** Resolves when every send started so far has finished. */
  drain(): Promise<void>;
}

/** Groups sessions by room: one RoomDelivery batch per room. */
export function groupByRoom(sessions: Session[], message: Message, log?: LogRef): Map<string, RoomDelivery[]> {
  const byRoom = new Map<string, RoomDelivery[]>();
  for (const s of sessions) {
    let batch = byRoom.get(s.roomId);
    if (!batch) byRoom.set(s.roomId, (batch = []));
    const d: RoomDelivery = { connId: s.connId, app: s.app, device: s.device, message };
    if (log) {
      d.log = log.log;
      d.seq = log.seq;
    }
    batch.push(d);
  }
  return byRoom;
}

/** register.lookupDevices with the lookups of one turn (one per unicast push) in one call per app. */
function coalescedLookup(register: RegisterService): (app: string, devices: string[]) => Promise<Session[]> {
  const run = createCoalescer<DeviceKey, Session | undefined>(async (keys) => {
    const byApp = new Map<string, Set<string>>();
    for (const k of keys) {
      let set = byApp.get(k.app);
      if (!set) byApp.set(k.app, (set = new Set()));
      set.add(k.device);
    }
    const found = new Map<string, Session>();
    await Promise.all(
      [...byApp].map(async ([app, devices]) => {
        for (const s of await register.lookupDevices(app, [...devices])) found.set(`${app}\u0000${s.device}`, s);
      }),
    );
    return keys.map((k) => found.get(`${k.app}\u0000${k.device}`));
  });
  return async (app, devices) => (await run(devices.map((device) => ({ app, device })))).filter((s): s is Session => s !== undefined);
}

export function createSender(deps: SenderDeps): Sender {
  const { rooms, log, metrics, lookupBatch } = deps;
  const lookupDevices = coalescedLookup(deps.register);
  const errors = counter(metrics, 'herald_center_send_errors_total', 'Failures while handing pushes to rooms', ['stage']);
  const outcomes = counter(metrics, 'herald_center_deliveries_total', 'Deliveries handed to rooms, by outcome', ['outcome']);
  const handoff = histogram(metrics, 'herald_center_handoff_seconds', 'From stored to every room answering, seconds');
  const running = new Set<Promise<void>>();

  async function toRoom(message: Message, roomId: string, batch: RoomDelivery[]): Promise<void> {
    const room = await findRoom(rooms, roomId);
    if (!room) {
      // Its devices keep the message pending (qos 1) and get it at their next connect.
      errors.inc({ stage: 'no_room' });
      outcomes.inc({ outcome: 'no_room' }, batch.length);
      log.warn('room not in the directory', { id: message.id, room: roomId, devices: batch.length });
      return;
    }
    try {
      const r = await room.deliver(batch);
      outcomes.inc({ outcome: 'sent' }, r.sent);
      outcomes.inc({ outcome: 'missing' }, r.missing);
      outcomes.inc({ outcome: 'refused' }, r.refused);
    } catch (err) {
      errors.inc({ stage: 'deliver' });
      outcomes.inc({ outcome: 'failed' }, batch.length);
      log.error('room deliver failed', { id: message.id, room: roomId, devices: batch.length, err });
    }
  }

  /** One register call; a failure is logged and counted, and those devices keep the message pending. */
  async function lookup(message: Message, devices: string[]): Promise<Session[]> {
    try {
      return await lookupDevices(message.app, devices);
    } catch (err) {
      errors.inc({ stage: 'lookup' });
      log.error('session lookup failed', { id: message.id, app: message.app, devices: devices.length, err });
      return [];
    }
  }

  async function sendAll(message: Message, devices: string[]): Promise<void> {
    const started = process.hrtime.bigint();
    // The next lookup runs while the rooms take the current batch.
    let next: Promise<Session[]> | undefined = lookup(message, devices.slice(0, lookupBatch));
    for (let i = 0; next; i += lookupBatch) {
      const sessions = await next;
      const from = i + lookupBatch;
      next = from < devices.length ? lookup(message, devices.slice(from, from + lookupBatch)) : undefined;
      await toRooms(message, sessions);
    }
    handoff.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  async function toRooms(message: Message, sessions: Session[], logRef?: LogRef): Promise<void> {
    const byRoom = groupByRoom(sessions, message, logRef);
    await Promise.all([...byRoom].map(([roomId, batch]) => toRoom(message, roomId, batch)));
  }

  async function guarded(message: Message, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      errors.inc({ stage: 'internal' });
      log.error('send failed', { id: message.id, err });
    }
  }

  return {
    send(message, devices) {
      const p = guarded(message, () => sendAll(message, devices));
      running.add(p);
      void p.finally(() => running.delete(p));
    },
    sendNow: (message, devices) => guarded(message, () => sendAll(message, devices)),
    toRooms: (message, sessions, logRef) => guarded(message, () => toRooms(message, sessions, logRef)),
    inFlight: () => running.size,
    async drain() {
      while (running.size) await Promise.all([...running]);
    },
  };
}
