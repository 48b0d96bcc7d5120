import type { DeviceKey } from '../../shared/contracts/register';
import { type MulticastTask, QueueTopics } from '../../shared/contracts/tasks';
import type { CenterContext } from './context';
import { type Worker, startWorker } from './worker';

function checkSlice(t: MulticastTask): string | undefined {
  if (!Array.isArray(t.devices) || t.devices.length === 0) return 'devices must be a non-empty list';
  if (!t.devices.every((d) => typeof d === 'string' && d !== '')) return 'devices must be non-empty strings';
  return undefined;
}

/**
 * The multicast consumer: every center takes slices of long device/user/tag pushes from the
 * shared channel, stores the message for the slice (a failure requeues the slice after the
 * retry delay), then looks the devices up in batches and hands each room its batch.
 */
export function startMulticastWorker(ctx: CenterContext): Worker {
  return startWorker<MulticastTask>(ctx, {
    topic: QueueTopics.multicast,
    maxInFlight: ctx.config.taskMaxInFlight,
    timeoutMs: ctx.config.taskTimeoutMs,
    check: checkSlice,
    async run(task) {
      const { message, devices } = task;
      const keys: DeviceKey[] = devices.map((device) => ({ app: message.app, device }));
      await ctx.saver.store(message, keys);
      // Delivery failures are logged and counted by the sender; the message stays stored for them.
      await ctx.sender.sendNow(message, devices);
      return 'done';
    },
  });
}
