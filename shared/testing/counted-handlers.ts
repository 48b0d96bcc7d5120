import type { UnaryHandler } from '../rpc/rpc';

/**
 * For tests: RPC handlers wrapped to count the calls per method, with some methods left out
 * (a peer of an older build that lacks them).
 */
export function countedHandlers(handlers: Record<string, UnaryHandler>, without: string[] = []): { handlers: Record<string, UnaryHandler>; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const out: Record<string, UnaryHandler> = {};
  for (const [name, h] of Object.entries(handlers)) {
    if (without.includes(name)) continue;
    out[name] = (req) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return h(req);
    };
  }
  return { handlers: out, calls };
}
