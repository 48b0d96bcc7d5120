import type { SessionStore } from '../../../shared/contracts/register';

/**
 * The device tags and topic subscriptions part of a SessionStore. Both belong to the device
 * (app, device), not to a session: they stay until changed, whether the device is online or not.
 * - setTags replaces the device's tags (an empty list clears them); subscribe/unsubscribe are
 *   idempotent; tagsOf/subscriptions answer sorted lists.
 * - Limits: tags and topics are 1..128 characters; a device has at most 64 tags and 256 topic
 *   subscriptions; a devicesByTags query names 1..64 tags; count is 1..10,000.
 * - Pages: at most count devices each, cursor '' when done; a set that does not change while it is
 *   paged yields every device exactly once. Bad input rejects with InvalidSessionError.
 */
export type TagIndex = Pick<
  SessionStore,
  'setTags' | 'tagsOf' | 'devicesByTags' | 'subscribe' | 'unsubscribe' | 'subscriptions' | 'subscribers'
>;
