import type { Redis } from 'ioredis';
import { pageSets } from './redis-set-pager';
import { SET_TAGS_LUA, SUBSCRIBE_LUA, UNSUBSCRIBE_LUA } from './redis-tag-scripts';
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

export interface RedisTagIndexOptions {
  /** A client the owning store opened (and closes). */
  redis: Redis;
  /** Prepended to every key. */
  prefix: string;
  /** Throws once the owning store is closed. */
  assertOpen: () => void;
}

/** The Lua-defined commands, as ioredis adds them to the client. */
interface TagScripts {
  heraldSetTags(...args: string[]): Promise<number>;
  heraldSubscribe(...args: (string | number)[]): Promise<number>;
  heraldUnsubscribe(...args: string[]): Promise<number>;
}

const appPart = (app: string): string => `${app.length}:${app}:`;

/** Device tags and topic subscriptions in Redis sets, kept two-way by Lua scripts (see redis-tag-scripts.ts). */
export function createRedisTagIndex(opts: RedisTagIndexOptions): TagIndex {
  const { redis, prefix: p, assertOpen } = opts;
  redis.defineCommand('heraldSetTags', { numberOfKeys: 1, lua: SET_TAGS_LUA });
  redis.defineCommand('heraldSubscribe', { numberOfKeys: 1, lua: SUBSCRIBE_LUA });
  redis.defineCommand('heraldUnsubscribe', { numberOfKeys: 1, lua: UNSUBSCRIBE_LUA });
  const scripts = redis as unknown as TagScripts;

  const tagPrefix = (app: string): string => `${p}tg:${appPart(app)}`;
  const topicPrefix = (app: string): string => `${p}tp:${appPart(app)}`;
  const deviceTags = (app: string, device: string): string => `${p}dt:${appPart(app)}${device}`;
  const deviceTopics = (app: string, device: string): string => `${p}ds:${appPart(app)}${device}`;

  const members = async (key: string): Promise<string[]> => {
    assertOpen();
    return (await redis.smembers(key)).sort();
  };

  return {
    async setTags(app, device, tags) {
      checkDevice('setTags', app, device);
      const names = checkNames('setTags', 'tags', tags, MAX_TAGS_PER_DEVICE);
      assertOpen();
      await scripts.heraldSetTags(deviceTags(app, device), tagPrefix(app), device, ...names);
    },
    async tagsOf(app, device) {
      checkDevice('tagsOf', app, device);
      return members(deviceTags(app, device));
    },
    async devicesByTags(app, tags, mode, cursor, count) {
      checkId('devicesByTags', 'app', app);
      const names = checkNames('devicesByTags', 'tags', tags, MAX_TAGS_PER_DEVICE);
      if (names.length === 0) throw new InvalidSessionError('devicesByTags: tags must name at least one tag');
      checkMode(mode);
      checkCount('devicesByTags', count);
      assertOpen();
      const keys = names.map((t) => tagPrefix(app) + t);
      return pageSets(redis, 'devicesByTags', keys, mode, cursor, count);
    },
    async subscribe(app, device, topics) {
      checkDevice('subscribe', app, device);
      const names = checkNames('subscribe', 'topics', topics, MAX_SUBSCRIPTIONS_PER_DEVICE);
      assertOpen();
      if (names.length === 0) return;
      const total = await scripts.heraldSubscribe(deviceTopics(app, device), topicPrefix(app), device, MAX_SUBSCRIPTIONS_PER_DEVICE, ...names);
      if (total < 0) {
        throw new InvalidSessionError(`subscribe: a device may have at most ${MAX_SUBSCRIPTIONS_PER_DEVICE} subscriptions, this would make ${-total}`);
      }
    },
    async unsubscribe(app, device, topics) {
      checkDevice('unsubscribe', app, device);
      const names = checkNames('unsubscribe', 'topics', topics, MAX_SUBSCRIPTIONS_PER_DEVICE);
      assertOpen();
      if (names.length === 0) return;
      await scripts.heraldUnsubscribe(deviceTopics(app, device), topicPrefix(app), device, ...names);
    },
    async subscriptions(app, device) {
      checkDevice('subscriptions', app, device);
      return members(deviceTopics(app, device));
    },
    async subscribers(app, topic, cursor, count) {
      checkId('subscribers', 'app', app);
      checkName('subscribers', 'topic', topic);
      checkCount('subscribers', count);
      assertOpen();
      return pageSets(redis, 'subscribers', [topicPrefix(app) + topic], 'or', cursor, count);
    },
  };
}
