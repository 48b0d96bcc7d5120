import { readFileSync } from 'node:fs';
import type { App } from '../contracts/apps';

/** A problem with an app definition (file entry or admin request); the message names the entry. */
export class AppError extends Error {}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const FIELDS = new Set(['id', 'name', 'secret', 'apiKeys', 'singleLogin', 'routes', 'statusUrl']);
/** Most upstream routes an app may have. */
export const MAX_ROUTES = 64;
const MAX_URL = 2048;
const ROUTE_TYPE = /^[A-Za-z0-9_.:/-]{1,64}$/;

/** True for an app id the API accepts: 1-64 chars of letters, digits, `_`, `.`, `-`. */
export function isAppId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id);
}

function checkString(v: unknown, what: string, min: number, max: number): string {
  if (typeof v !== 'string' || v.length < min || v.length > max) {
    throw new AppError(`${what} must be a string of ${min} to ${max} characters`);
  }
  return v;
}

/**
 * Checks one app definition. `where` names it in errors (e.g. `apps.json: apps[2]`).
 * Every field is required here: callers that generate secrets or keys fill them in first.
 */
export function validateApp(raw: unknown, where: string): App {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AppError(`${where}: must be an object`);
  const r = raw as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !FIELDS.has(k));
  if (unknown.length) throw new AppError(`${where}: unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  if (!isAppId(r.id)) throw new AppError(`${where}.id: must be 1-64 letters, digits, '_', '.' or '-' (got ${JSON.stringify(r.id)})`);
  const at = `${where} (${r.id})`;
  const name = checkString(r.name, `${at}.name`, 1, 200);
  const secret = checkString(r.secret, `${at}.secret`, 16, 256);
  if (!Array.isArray(r.apiKeys) || r.apiKeys.length === 0) throw new AppError(`${at}.apiKeys: must be a non-empty list`);
  const apiKeys = r.apiKeys.map((k, i) => checkString(k, `${at}.apiKeys[${i}]`, 16, 256));
  if (new Set(apiKeys).size !== apiKeys.length) throw new AppError(`${at}.apiKeys: has duplicates`);
  if (r.singleLogin !== undefined && typeof r.singleLogin !== 'boolean') throw new AppError(`${at}.singleLogin: must be true or false`);
  const app: App = { id: r.id, name, secret, apiKeys };
  if (r.singleLogin !== undefined) app.singleLogin = r.singleLogin;
  if (r.routes !== undefined) app.routes = checkRoutes(r.routes, `${at}.routes`);
  if (r.statusUrl !== undefined) app.statusUrl = checkUrl(r.statusUrl, `${at}.statusUrl`);
  return app;
}

/** An absolute http(s) URL of at most 2048 characters. */
export function checkUrl(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_URL) throw new AppError(`${what}: must be an http(s) URL of at most ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new AppError(`${what}: ${JSON.stringify(v.slice(0, 100))} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError(`${what}: must be an http or https URL (got ${url.protocol})`);
  return v;
}

/** Upstream routes: {type: url}, at most MAX_ROUTES, types of 1-64 letters, digits, '_', '.', ':', '/', '-'. */
function checkRoutes(v: unknown, what: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AppError(`${what}: must be an object {type: url}`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_ROUTES) throw new AppError(`${what}: at most ${MAX_ROUTES} routes (got ${entries.length})`);
  // fromEntries defines own properties, so a type named "__proto__" cannot touch the prototype.
  return Object.fromEntries(
    entries.map(([type, url]) => {
      if (!ROUTE_TYPE.test(type)) throw new AppError(`${what}: type ${JSON.stringify(type.slice(0, 80))} must be 1-64 letters, digits, '_', '.', ':', '/' or '-'`);
      return [type, checkUrl(url, `${what}.${type}`)];
    }),
  );
}

/** Checks a list of apps: each entry valid, ids and API keys unique across the list. */
export function validateApps(raw: unknown, where: string): App[] {
  if (!Array.isArray(raw)) throw new AppError(`${where}: must be a list`);
  const apps = raw.map((a, i) => validateApp(a, `${where}[${i}]`));
  const ids = new Map<string, number>();
  const keys = new Map<string, string>();
  apps.forEach((app, i) => {
    const before = ids.get(app.id);
    if (before !== undefined) throw new AppError(`${where}[${i}].id: ${app.id} is already used by ${where}[${before}]`);
    ids.set(app.id, i);
    for (const k of app.apiKeys) {
      const owner = keys.get(k);
      if (owner !== undefined) throw new AppError(`${where}[${i}] (${app.id}).apiKeys: a key is also used by app ${owner}`);
      keys.set(k, app.id);
    }
  });
  return apps;
}

/** Reads a JSON file `{ "apps": [...] }`; throws AppError naming the file and the bad entry. */
export function loadAppsFile(path: string): App[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AppError(`${path}: cannot read apps file: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new AppError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || !('apps' in doc)) throw new AppError(`${path}: must be an object with an "apps" list`);
  return validateApps((doc as { apps: unknown }).apps, `${path}: apps`);
}
