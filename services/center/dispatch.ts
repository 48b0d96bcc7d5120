import type { DeviceKey } from '../../shared/contracts/register';
import type { Message } from '../../shared/contracts/saver';
import { type FanoutTask, type MulticastTask, type PushTarget, QueueTopics, encodeTask } from '../../shared/contracts/tasks';
import { HttpError } from '../../shared/http/errors';
import { counter } from '../../shared/metrics/metrics';
import type { CenterContext } from './context';
import type { PacedTask } from './pacing';

/** What a push reached, as far as it is known when the push is handed off. */
export interface PushOutcome {
  /** Target devices (device, user and tag pushes); unknown for broadcast and topic pushes. */
  targets?: number;
}

/** Runs a push now: the POST path and the scheduled consumer share it. */
export interface PushRunner {
  /** Throws HttpError 503 (saying what was and was not done) when a dependency fails. */
  run(message: Message, to: PushTarget, rate: number): Promise<PushOutcome>;
}

/** Runs fn; a failure is counted under stage, logged as logMsg and thrown as a 503 saying what. */
export type Guard = <T>(stage: string, what: string, logMsg: string, fn: () => Promise<T>, fields?: Record<string, unknown>) => Promise<T>;

export function createGuard(ctx: CenterContext): Guard {
  const failed = counter(ctx.metrics, 'herald_center_push_errors_total', 'Pushes refused because a dependency failed', ['stage']);
  return async (stage, what, logMsg, fn, fields) => {
    try {
      return await fn();
    } catch (err) {
      failed.inc({ stage });
      ctx.log.error(logMsg, { ...fields, err });
      throw new HttpError(503, 'unavailable', `${what}: ${(err as Error)?.message ?? String(err)}`);
    }
  };
}

/** A broadcast/topic message is kept in its log when it is qos 1 and not online-only. */
export const isLogged = (m: Message): boolean => m.qos === 1 && m.expires > 0;

export function createPushRunner(ctx: CenterContext): PushRunner {
  const { config, register, saver, queue } = ctx;
  const guard = createGuard(ctx);
  const chunk = config.multicastChunk;

  async function resolveDevices(app: string, to: { devices: string[] } | { users: string[] }): Promise<string[]> {
    if ('devices' in to) return to.devices;
    const users = to.users;
    return guard('register', "could not resolve the users' devices, nothing was stored or sent", 'user lookup failed', async () => {
      const devices = new Set<string>();
      for (let i = 0; i < users.length; i += config.lookupBatch) {
        for (const p of await register.userDevices(app, users.slice(i, i + config.lookupBatch))) devices.add(p.device);
      }
      return [...devices];
    }, { app, users: users.length });
  }

  const store = (message: Message, devices: string[]): Promise<void> => {
    const keys: DeviceKey[] = devices.map((device) => ({ app: message.app, device }));
    return guard('saver', 'could not store the message, nothing was sent', 'store failed', () => saver.store(message, keys), {
      app: message.app,
      id: message.id,
      targets: keys.length,
    });
  };

  const publish = (topic: string, bodies: Uint8Array[], what: string, id: string): Promise<string[]> =>
    guard('queue', what, 'queue publish failed', () => queue.publish(topic, bodies), { topic, id, tasks: bodies.length });

  /** Slices of up to chunk devices, one queue message each, for any center to store and deliver. */
  async function multicast(message: Message, devices: string[]): Promise<void> {
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < devices.length; i += chunk) {
      bodies.push(encodeTask<MulticastTask>({ message, devices: devices.slice(i, i + chunk) }));
    }
    await publish(QueueTopics.multicast, bodies, 'could not queue the multicast, nothing was sent', message.id);
  }

  /** Pages through the tagged devices, publishing a slice each time chunk devices are collected. */
  async function tagged(message: Message, to: { tags: string[]; mode: 'or' | 'and' }): Promise<number> {
    const seen = new Set<string>();
    let slice: string[] = [];
    let cursor = '';
    const flush = async (): Promise<void> => {
      const what = seen.size > slice.length ? 'could not queue every slice of the tag push: only part of it was sent' : 'could not queue the tag push, nothing was sent';
      await publish(QueueTopics.multicast, [encodeTask<MulticastTask>({ message, devices: slice })], what, message.id);
      slice = [];
    };
    do {
      const at = cursor;
      const what = seen.size ? 'could not resolve every tagged device: only part of the push was sent' : 'could not resolve the tagged devices, nothing was sent';
      const page = await guard('register', what, 'tag lookup failed', () =>
        register.devicesByTags(message.app, to.tags, to.mode, at, chunk),
      { app: message.app, id: message.id });
      for (const d of page.devices) {
        if (seen.has(d)) continue;
        seen.add(d);
        slice.push(d);
        if (slice.length === chunk) await flush();
      }
      cursor = page.cursor;
    } while (cursor !== '');
    if (slice.length) await flush();
    // No device has the tags: the push still gets a status (done, 0 targets).
    if (seen.size === 0) await store(message, []);
    return seen.size;
  }

  /** Broadcast and topic: one log entry, then one fan-out task for every room (or one paced task). */
  async function logged(message: Message, to: PushTarget, rate: number): Promise<PushOutcome> {
    const log = 'topic' in to ? to.topic : '';
    let seq = 0;
    if (isLogged(message)) {
      seq = await guard('saver', 'could not append the message to its log, nothing was sent', 'log append failed', () => saver.appendLog(message), {
        app: message.app,
        id: message.id,
      });
    } else {
      // Online only: not logged, but counted so its status answers.
      await store(message, []);
    }
    const what = seq ? 'stored in the log but could not queue the online fan-out; devices get it at their next connect' : 'could not queue the fan-out, nothing was sent';
    const body = rate
      ? encodeTask<PacedTask>({ message, to, rate, seq })
      : encodeTask<FanoutTask>({ message, log, seq });
    await publish(rate ? QueueTopics.paced : QueueTopics.fanout, [body], what, message.id);
    return {};
  }

  return {
    async run(message, to, rate) {
      if ('all' in to || 'topic' in to) return logged(message, to, rate);
      if ('tags' in to) {
        if (!rate) return { targets: await tagged(message, to) };
        await publish(QueueTopics.paced, [encodeTask<PacedTask>({ message, to, rate, seq: 0 })], 'could not queue the paced push, nothing was sent', message.id);
        return {};
      }
      const devices = await resolveDevices(message.app, to);
      if (devices.length > chunk) {
        await multicast(message, devices);
      } else {
        await store(message, devices);
        if (devices.length) ctx.sender.send(message, devices);
      }
      return { targets: devices.length };
    },
  };
}
