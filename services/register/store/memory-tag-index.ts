import { pageSets, startOf } from './memory-set-pager';
import type { TagIndex } from './tag-index';
import { InvalidSessionError, checkId } from './validate';
import {
  MAX_SUBSCRIPTIONS_PER_DEVICE,
  MAX_TAGS_PER_DEVICE,
  checkCount,
  checkDevice,
  checkMode,
  checkName,
  checkNames,
} from './validate-tags';

/** A two-way index: name (tag or topic) -> devices, device -> names. */
interface TwoWay {
  byName: Map<string, Set<string>>;
  byDevice: Map<string, Set<string>>;
}

interface AppIndex {
  tags: TwoWay;
  topics: TwoWay;
}

/** A tag index in memory that the owning store can empty on close. */
export interface MemoryTagIndex extends TagIndex {
  clear(): void;
}

const newTwoWay = (): TwoWay => ({ byName: new Map(), byDevice: new Map() });

function link(ix: TwoWay, device: string, names: Iterable<string>): void {
  let mine = ix.byDevice.get(device);
  if (!mine) ix.byDevice.set(device, (mine = new Set()));
  for (const n of names) {
    mine.add(n);
    let devices = ix.byName.get(n);
    if (!devices) ix.byName.set(n, (devices = new Set()));
    devices.add(device);
  }
}

function unlink(ix: TwoWay, device: string, names: Iterable<string>): void {
  const mine = ix.byDevice.get(device);
  if (!mine) return;
  for (const n of names) {
    if (!mine.delete(n)) continue;
    const devices = ix.byName.get(n);
    devices?.delete(device);
    if (devices?.size === 0) ix.byName.delete(n);
  }
  if (mine.size === 0) ix.byDevice.delete(device);
}

/** Device tags and topic subscriptions in process memory (standalone mode). */
export function createMemoryTagIndex(assertOpen: () => void): MemoryTagIndex {
  const apps = new Map<string, AppIndex>();

  const appOf = (app: string): AppIndex => {
    let a = apps.get(app);
    if (!a) apps.set(app, (a = { tags: newTwoWay(), topics: newTwoWay() }));
    return a;
  };

  const sorted = (names: Set<string> | undefined): string[] => (names ? [...names].sort() : []);

  return {
    async setTags(app, device, tags) {
      assertOpen();
      checkDevice('setTags', app, device);
      const next = checkNames('setTags', 'tags', tags, MAX_TAGS_PER_DEVICE);
      const ix = appOf(app).tags;
      const old = ix.byDevice.get(device);
      if (old) unlink(ix, device, [...old]);
      link(ix, device, next);
      if (next.length === 0) ix.byDevice.delete(device);
    },
    async tagsOf(app, device) {
      assertOpen();
      checkDevice('tagsOf', app, device);
      return sorted(apps.get(app)?.tags.byDevice.get(device));
    },
    async devicesByTags(app, tags, mode, cursor, count) {
      assertOpen();
      checkId('devicesByTags', 'app', app);
      const names = checkNames('devicesByTags', 'tags', tags, MAX_TAGS_PER_DEVICE);
      if (names.length === 0) throw new InvalidSessionError('devicesByTags: tags must name at least one tag');
      checkMode(mode);
      checkCount('devicesByTags', count);
      let start = startOf('devicesByTags', cursor, names.length);
      const byName = apps.get(app)?.tags.byName;
      const found = names.map((t) => byName?.get(t));
      if (mode === 'and' && found.some((s) => !s)) return { devices: [], cursor: '' };
      const sets = found.map((s) => s ?? new Set<string>());
      if (!start) {
        // 'and' walks the smallest set; its index rides in the cursor so later pages keep it.
        let smallest = 0;
        if (mode === 'and') sets.forEach((s, j) => { if (s.size < sets[smallest].size) smallest = j; });
        start = { set: smallest, pos: 0, anchor: 0 };
      }
      return pageSets(sets, mode, start, count);
    },
    async subscribe(app, device, topics) {
      assertOpen();
      checkDevice('subscribe', app, device);
      const names = checkNames('subscribe', 'topics', topics, MAX_SUBSCRIPTIONS_PER_DEVICE);
      const ix = appOf(app).topics;
      const mine = ix.byDevice.get(device);
      const total = (mine?.size ?? 0) + names.filter((t) => !mine?.has(t)).length;
      if (total > MAX_SUBSCRIPTIONS_PER_DEVICE) {
        throw new InvalidSessionError(`subscribe: a device may have at most ${MAX_SUBSCRIPTIONS_PER_DEVICE} subscriptions, this would make ${total}`);
      }
      if (names.length > 0) link(ix, device, names);
    },
    async unsubscribe(app, device, topics) {
      assertOpen();
      checkDevice('unsubscribe', app, device);
      const names = checkNames('unsubscribe', 'topics', topics, MAX_SUBSCRIPTIONS_PER_DEVICE);
      const a = apps.get(app);
      if (a) unlink(a.topics, device, names);
    },
    async subscriptions(app, device) {
      assertOpen();
      checkDevice('subscriptions', app, device);
      return sorted(apps.get(app)?.topics.byDevice.get(device));
    },
    async subscribers(app, topic, cursor, count) {
      assertOpen();
      checkId('subscribers', 'app', app);
      checkName('subscribers', 'topic', topic);
      checkCount('subscribers', count);
      const start = startOf('subscribers', cursor, 1) ?? { set: 0, pos: 0, anchor: 0 };
      const set = apps.get(app)?.topics.byName.get(topic);
      if (!set) return { devices: [], cursor: '' };
      return pageSets([set], 'or', start, count);
    },
    clear() {
      apps.clear();
    },
  };
}
