/** What a room announces about itself. */
export interface RoomInfo {
  id: string;
  /** WebSocket URLs clients connect to, e.g. ws://127.0.0.1:8090/ws. */
  urls: string[];
  zone: string;
  /** Network types this room serves (e.g. 'wifi', 'cellular'); empty = all. */
  networks: string[];
  /** Internal RPC address, in a cluster. */
  rpc?: string;
  connections: number;
  capacity: number;
  draining: boolean;
  /** Milliseconds since the Unix epoch, set by announce(). */
  updatedAt: number;
}

/**
 * The room registry: rooms announce themselves with a TTL and drop out when they stop.
 * list() answers only rooms whose last announce is younger than its TTL.
 */
export interface RoomRegistry {
  announce(info: Omit<RoomInfo, 'updatedAt'>, ttlMs: number): Promise<void>;
  withdraw(id: string): Promise<void>;
  list(): Promise<RoomInfo[]>;
  close(): Promise<void>;
}
