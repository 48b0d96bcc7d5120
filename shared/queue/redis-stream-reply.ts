/** Parsing of stream replies (RESP2 or RESP3, as Buffers). */

export type StreamEntries = [Buffer, Buffer[] | null][];

/** XREADGROUP's reply: nested [key, entries] pairs (RESP2) or a flattened map key, entries, ... (RESP3). */
export function streamsOf(reply: unknown): [Buffer, StreamEntries][] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (Array.isArray(reply[0])) return reply as [Buffer, StreamEntries][];
  const out: [Buffer, StreamEntries][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([reply[i] as Buffer, reply[i + 1] as StreamEntries]);
  return out;
}

/** A field's value in a stream entry's flat [name, value, ...] list. */
export function field(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i].toString() === name) return fields[i + 1];
  return undefined;
}
