/**
 * Node flags for a room process. A room holds sockets, not work: under the default flags a
 * connect storm grows V8's young generation from 16 MB to 32 MB and it stays so while the
 * sockets sit idle; at the 15,000 sockets one process holds here that is about 1.1 KB a socket,
 * as much as the room's own state per connection. Capping it costs the throughput roles
 * (center, saver; standalone) GC time (measured: unicast 3,770/s -> 3,160/s), so only rooms
 * get it. deploy/room.env sets the same in NODE_OPTIONS (deploy-configs.test.ts keeps them equal).
 */
export const roomNodeFlags: readonly string[] = ['--max-semi-space-size=8'];

/** NODE_OPTIONS for a room process: what the environment has, plus roomNodeFlags. */
export function roomNodeOptions(inherited = process.env.NODE_OPTIONS): string {
  return [inherited, ...roomNodeFlags].filter((x) => x !== undefined && x !== '').join(' ');
}
