/**
 * Redis keys of the queue. The topic is wrapped in {} (names may not hold braces) so every key
 * of one topic shares a hash slot and no topic's keys can collide with another's.
 *   <prefix>q:{topic}                     stream of the topic; one consumer group per channel
 *   <prefix>q:{topic}:deferred            zset: deferred publishes by deliverAt (+ :bodies hash)
 *   <prefix>q:{topic}:ephemeral           set: names of the ephemeral channels
 *   <prefix>q:{topic}:c:<channel>:retry   stream: this channel's requeued messages (same group name)
 *   <prefix>q:{topic}:c:<channel>:deferred  zset: requeues with a delay, not yet due (+ :bodies hash)
 */
export interface TopicKeys {
  stream: string;
  deferred: string;
  deferredBodies: string;
  ephemeral: string;
}

export interface ChannelKeys {
  retry: string;
  deferred: string;
  deferredBodies: string;
}

export function topicKeys(prefix: string, topic: string): TopicKeys {
  const base = `${prefix}q:{${topic}}`;
  return { stream: base, deferred: `${base}:deferred`, deferredBodies: `${base}:deferred:bodies`, ephemeral: `${base}:ephemeral` };
}

export function channelKeys(prefix: string, topic: string, channel: string): ChannelKeys {
  const base = `${prefix}q:{${topic}}:c:${channel}`;
  return { retry: `${base}:retry`, deferred: `${base}:deferred`, deferredBodies: `${base}:deferred:bodies` };
}
