import type { ServerFrame } from '../protocol/codec';
import { PushKinds } from '../protocol/codes';
import { createDedupe, type Dedupe } from './dedupe';
import type { Emitter } from './emitter';
import type { ClientEvents, PushMessage } from './types';

type PushFrame = NonNullable<ServerFrame['push']>;

const EMPTY = new Uint8Array(0);
// Shared by every qos-0 push of a manual-ack client: nothing to ack, no closure to allocate.
const noAck = (): void => undefined;

/**
 * Incoming pushes: dedupe, hand to the 'push' listeners, and ack. Acks of one event-loop
 * turn are batched into one Ack frame; ids acked while disconnected wait for the next session.
 */
export class Inbox {
  private readonly dedupe: Dedupe;
  private ids: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly autoAck: boolean,
    dedupeSize: number,
    private readonly emitter: Emitter<ClientEvents>,
    /** Sends one Ack frame; false when there is no authenticated connection. */
    private readonly sendAck: (ids: string[]) => boolean,
  ) {
    this.dedupe = createDedupe(dedupeSize);
  }

  /** Ids waiting to be acked. */
  get queued(): number {
    return this.ids.length;
  }

  /** Handles one Push frame. */
  push(p: PushFrame): void {
    const id = p.id ?? '';
    const qos = p.qos ?? 0;
    const seen = id === '' ? 'new' : this.dedupe.check(id);
    if (seen !== 'new') {
      // A redelivery: ack it again if the first copy was acked (the ack may have been lost);
      // a copy still waiting for a manual ack() is left to that ack.
      if (seen === 'acked' && qos > 0) this.queue(id);
      return;
    }
    const msg: PushMessage = {
      id,
      app: p.app ?? '',
      payload: p.payload ?? EMPTY,
      kind: PushKinds[p.kind ?? 0] ?? 'unicast',
      topic: p.topic ?? '',
      created: Number(p.created ?? 0),
      expires: Number(p.expires ?? 0),
      qos,
    };
    if (!this.autoAck) msg.ack = qos > 0 && id !== '' ? () => this.ack(id) : noAck;
    const ok = this.emitter.emit('push', msg);
    if (!ok) {
      // A listener threw: forget the id so a redelivery is handed over again.
      this.dedupe.forget(id);
      return;
    }
    if (this.autoAck && qos > 0 && id !== '') this.ack(id);
  }

  /** Acks a message id (batched with the other acks of this turn). */
  ack(id: string): void {
    if (typeof id !== 'string' || id === '') return;
    this.dedupe.acked(id);
    this.queue(id);
  }

  /** Sends the queued acks now, if connected. */
  readonly flush = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.ids.length === 0) return;
    const ids = this.ids;
    this.ids = [];
    if (!this.sendAck(ids)) this.ids = ids.concat(this.ids);
  };

  /** Cancels the pending flush timer (the queue is kept). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private queue(id: string): void {
    this.ids.push(id);
    this.timer ??= setTimeout(this.flush, 0);
  }
}
