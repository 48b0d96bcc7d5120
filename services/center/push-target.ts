import type { PushTarget } from '../../shared/contracts/tasks';
import { badRequest } from '../../shared/http/errors';
import type { PushKindName } from '../../shared/protocol/codes';

/** Longest device, user or tag id. */
export const MAX_ID_LENGTH = 128;
/** Longest topic name. */
export const MAX_TOPIC_LENGTH = 128;
/** Most tags one tag push or one device may name. */
export const MAX_TAGS = 64;

const SHAPES = '"to" must have exactly one of "devices", "users", "tags" (with an optional "mode"), "topic" or "all"';

/** Checks one id (device, user or tag): a non-empty string of at most MAX_ID_LENGTH characters. */
export function checkId(v: unknown, what: string, code = 'bad_target'): string {
  if (typeof v !== 'string' || v === '') throw badRequest(`${what} must be a non-empty string`, code);
  if (v.length > MAX_ID_LENGTH) throw badRequest(`${what} is longer than ${MAX_ID_LENGTH} characters`, code);
  return v;
}

/** Checks a list of ids: 1..max entries (0..max when allowEmpty), deduplicated in order. */
export function checkIds(v: unknown, what: string, max: number, code: string, tooMany = code, allowEmpty = false): string[] {
  if (!Array.isArray(v)) throw badRequest(`${what} must be a list of ids`, code);
  if (v.length === 0 && !allowEmpty) throw badRequest(`${what} is empty`, code);
  if (v.length > max) throw badRequest(`${what} has ${v.length} ids, more than ${max}`, tooMany);
  const ids = new Set<string>();
  for (let i = 0; i < v.length; i++) ids.add(checkId(v[i], `${what}[${i}]`, code));
  return [...ids];
}

function checkTopic(v: unknown): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > MAX_TOPIC_LENGTH) {
    throw badRequest(`to.topic must be a string of 1 to ${MAX_TOPIC_LENGTH} characters`, 'bad_target');
  }
  return v;
}

function checkMode(v: unknown): 'or' | 'and' {
  if (v === undefined) return 'or';
  if (v !== 'or' && v !== 'and') throw badRequest('to.mode must be "or" or "and"', 'bad_target');
  return v;
}

/** Checks a request's "to"; devices and users are capped at maxTargets. */
export function parseTarget(to: unknown, maxTargets: number): PushTarget {
  if (to === undefined) throw badRequest(`missing "to": ${SHAPES}`, 'bad_target');
  if (typeof to !== 'object' || to === null || Array.isArray(to)) throw badRequest('"to" must be an object', 'bad_target');
  const t = to as Record<string, unknown>;
  const keys = Object.keys(t);
  const main = keys.filter((k) => k !== 'mode');
  if (main.length !== 1 || ('mode' in t && main[0] !== 'tags')) throw badRequest(SHAPES, 'bad_target');
  switch (main[0]) {
    case 'devices':
      return { devices: checkIds(t.devices, 'to.devices', maxTargets, 'bad_target', 'too_many_targets') };
    case 'users':
      return { users: checkIds(t.users, 'to.users', maxTargets, 'bad_target', 'too_many_targets') };
    case 'tags':
      return { tags: checkIds(t.tags, 'to.tags', MAX_TAGS, 'bad_target'), mode: checkMode(t.mode) };
    case 'topic':
      return { topic: checkTopic(t.topic) };
    case 'all':
      if (t.all !== true) throw badRequest('to.all must be true', 'bad_target');
      return { all: true };
    default:
      throw badRequest(SHAPES, 'bad_target');
  }
}

/** The message kind of a target. */
export function kindOf(to: PushTarget): PushKindName {
  if ('devices' in to) return 'unicast';
  if ('users' in to) return 'user';
  if ('tags' in to) return 'tag';
  if ('topic' in to) return 'topic';
  return 'broadcast';
}

/** True for the targets a `rate` applies to: broadcast, topic and tag pushes. */
export const isPaceable = (to: PushTarget): boolean => 'all' in to || 'topic' in to || 'tags' in to;

/** Why a queue task's target is malformed (the checks of a request's "to"), or undefined. */
export function checkTaskTarget(to: unknown): string | undefined {
  try {
    parseTarget(to, Number.MAX_SAFE_INTEGER);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
