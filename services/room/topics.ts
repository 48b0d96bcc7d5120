import type { ConnState } from './context';

/**
 * The room's uWebSockets.js topics: `b/<app>` (every connection with the app bound) and
 * `t/<app>/<topic>` (the app's subscribers of a topic). uWS keeps each socket's topics, so a
 * connection holds no list of its own and a closed socket leaves them all by itself.
 */
export function broadcastTopic(app: string): string {
  return `b/${app}`;
}

export function topicTopic(app: string, topic: string): string {
  return `t/${app}/${topic}`;
}

/** The uWS topic a fan-out task goes to: log '' = the app's broadcast, else the topic. */
export function uwsTopicOf(app: string, log: string): string {
  return log === '' ? broadcastTopic(app) : topicTopic(app, log);
}

/**
 * The topics a connection is subscribed to for one app, read back from uWS. An app id may
 * itself contain '/', so a topic belongs to the bound app with the longest matching prefix.
 */
export function topicsOf(state: ConnState, app: string): string[] {
  const ws = state.ws;
  if (!ws) return [];
  const prefix = `t/${app}/`;
  const out: string[] = [];
  for (const t of ws.getTopics()) {
    if (!t.startsWith(prefix)) continue;
    const owner = state.bindings.reduce<string | undefined>(
      (best, b) => (t.startsWith(`t/${b.app}/`) && (!best || b.app.length > best.length) ? b.app : best),
      undefined,
    );
    if (owner === app) out.push(t.slice(prefix.length));
  }
  return out;
}

/** Subscribes the socket to an app's broadcast and the given topics. */
export function subscribeApp(state: ConnState, app: string, topics: string[]): void {
  const ws = state.ws;
  if (!ws) return;
  ws.subscribe(broadcastTopic(app));
  for (const t of topics) ws.subscribe(topicTopic(app, t));
}

/** Leaves an app's broadcast and every topic of it (at unbind, or before a rebind to another device). */
export function unsubscribeApp(state: ConnState, app: string): void {
  const ws = state.ws;
  if (!ws) return;
  for (const t of topicsOf(state, app)) ws.unsubscribe(topicTopic(app, t));
  ws.unsubscribe(broadcastTopic(app));
}
