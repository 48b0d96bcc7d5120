import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Page } from '../../../shared/contracts/register';
import { InvalidSessionError } from './validate';
import { parseCursor } from './validate-tags';

/** SSCAN calls one page may make before it answers what it has (a sparse 'and' finds few per call). */
const MAX_SCANS_PER_PAGE = 8;
/** Bounds of the SSCAN COUNT hint: the page count ('or'), four times it ('and': most are filtered out). */
const MIN_STEP = 16;
const MAX_STEP = 1000;

/**
 * Where a walk stands: key index, SSCAN cursor and COUNT hint, the place (hash) of the last
 * device of that SSCAN batch already looked at (0 = none), and the cursor that batch answered.
 * A batch is walked in hash order, so a device removed meanwhile cannot shift another one out;
 * a batch whose answered cursor changed covers other buckets now, so it is walked whole again.
 */
interface Position {
  key: number;
  scan: string;
  step: number;
  after: number;
  next: string;
}

const encode = (p: Position): string => `${p.key}.${p.scan}.${p.step}.${p.after}.${p.next}`;

function decode(op: string, cursor: unknown, keys: number): Position | undefined {
  const parts = parseCursor(op, cursor, 5);
  if (!parts) return undefined;
  const p: Position = { key: Number(parts[0]), scan: parts[1], step: Number(parts[2]), after: Number(parts[3]), next: parts[4] };
  if (p.key >= keys || p.step < MIN_STEP || p.step > MAX_STEP || !Number.isSafeInteger(p.after)) {
    throw new InvalidSessionError(`${op}: cursor ${JSON.stringify(cursor)} does not fit this query`);
  }
  return p;
}

/** A 52-bit hash (+1, so never 0) of a device: its place in a batch's walking order. */
function place(device: string): number {
  return parseInt(createHash('md5').update(device).digest('hex').slice(0, 13), 16) + 1;
}

/** The batch in hash order from just after `after`. */
function walkOrder(batch: string[], after: number): { device: string; at: number }[] {
  return batch
    .map((device) => ({ device, at: place(device) }))
    .filter((e) => e.at > after)
    .sort((a, b) => a.at - b.at);
}

/** Runs a pipeline, throwing its first command error. */
async function exec(pipe: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/**
 * Pages through the union ('or') or intersection ('and') of Redis sets without building it:
 * 'or' SSCANs the sets one after another and drops devices an earlier set holds (SMISMEMBER);
 * 'and' SSCANs only the smallest set and keeps devices every other set holds. One page makes a
 * few SSCAN calls at most and holds at most count devices. Exactly once for sets that do not
 * change while paged; at least once (never lost) for devices that stay in them otherwise.
 */
export async function pageSets(redis: Redis, op: string, keys: string[], mode: 'or' | 'and', cursor: string, count: number): Promise<Page> {
  let at = decode(op, cursor, keys.length);
  if (!at) {
    const start = mode === 'and' ? await smallest(redis, keys) : 0;
    if (start < 0) return { devices: [], cursor: '' };
    at = { key: start, scan: '0', step: Math.min(MAX_STEP, Math.max(MIN_STEP, mode === 'and' ? count * 4 : count)), after: 0, next: '0' };
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (let calls = 0; calls < MAX_SCANS_PER_PAGE; calls++) {
    const [next, batch]: [string, string[]] = await redis.sscan(keys[at.key], at.scan, 'COUNT', at.step);
    const walk = walkOrder(batch, next === at.next ? at.after : 0);
    const keep = await filter(redis, keys, mode, at.key, walk.map((e) => e.device));
    let k = 0;
    for (; k < walk.length && out.length < count; k++) {
      if (keep[k] && !seen.has(walk[k].device)) {
        seen.add(walk[k].device);
        out.push(walk[k].device);
      }
    }
    if (k < walk.length) return { devices: out, cursor: encode({ ...at, after: walk[k - 1].at, next }) };
    at = { ...at, scan: next, after: 0, next: '0' };
    if (next === '0') {
      if (mode === 'and' || at.key + 1 >= keys.length) return { devices: out, cursor: '' };
      at.key++;
    }
    if (out.length >= count) break;
  }
  return { devices: out, cursor: encode(at) };
}

/** Index of the smallest set, or -1 when one is empty (then no device has all the tags). */
async function smallest(redis: Redis, keys: string[]): Promise<number> {
  const pipe = redis.pipeline();
  for (const k of keys) pipe.scard(k);
  const sizes = (await exec(pipe)) as number[];
  let best = 0;
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] === 0) return -1;
    if (sizes[i] < sizes[best]) best = i;
  }
  return best;
}

/** Whether each device belongs on the page (one pipelined round trip). */
async function filter(redis: Redis, keys: string[], mode: 'or' | 'and', walking: number, devices: string[]): Promise<boolean[]> {
  const others = mode === 'and' ? keys.filter((_, j) => j !== walking) : keys.slice(0, walking);
  const keep = new Array<boolean>(devices.length).fill(true);
  if (devices.length === 0 || others.length === 0) return keep;
  const pipe = redis.pipeline();
  for (const k of others) pipe.smismember(k, ...devices);
  const answers = (await exec(pipe)) as number[][];
  for (const member of answers) {
    for (let i = 0; i < devices.length; i++) if ((member[i] === 1) !== (mode === 'and')) keep[i] = false;
  }
  return keep;
}
