import { randomBytes } from 'node:crypto';
import { AppError, isAppId, validateApp } from '../../shared/apps/apps-file';
import type { App } from '../../shared/contracts/apps';
import { HttpError, badRequest, notFound } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import type { CenterContext } from './context';

/** An app as the admin API lists it: the secret hidden, each API key cut to its first 4 characters. */
export interface RedactedApp {
  id: string;
  name: string;
  singleLogin: boolean;
  secret: '(redacted)';
  apiKeys: string[];
  routes: Record<string, string>;
  statusUrl?: string;
}

export function redactApp(app: App): RedactedApp {
  return {
    id: app.id,
    name: app.name,
    singleLogin: app.singleLogin ?? false,
    secret: '(redacted)',
    apiKeys: app.apiKeys.map((k) => `${k.slice(0, 4)}...`),
    routes: app.routes ?? {},
    statusUrl: app.statusUrl,
  };
}

const newSecret = (): string => randomBytes(32).toString('base64url');
const newApiKey = (): string => `hk_${randomBytes(24).toString('base64url')}`;

/** Checks a POST /v1/admin/apps body, generating a missing secret or API key. */
function newApp(body: unknown): App {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object');
  const b = { ...(body as Record<string, unknown>) };
  if (b.secret === undefined) b.secret = newSecret();
  if (b.apiKeys === undefined || (Array.isArray(b.apiKeys) && b.apiKeys.length === 0)) b.apiKeys = [newApiKey()];
  try {
    return validateApp(b, 'app');
  } catch (err) {
    if (err instanceof AppError) throw badRequest(err.message, 'bad_app');
    throw err;
  }
}

async function create(ctx: CenterContext, body: unknown): Promise<App> {
  const app = newApp(body);
  if (await ctx.apps.get(app.id)) throw new HttpError(409, 'app_exists', `app ${app.id} already exists`);
  for (const key of app.apiKeys) {
    const owner = await ctx.apps.byApiKey(key);
    if (owner) throw new HttpError(409, 'key_in_use', `an API key is already used by app ${owner.id}`);
  }
  await ctx.apps.put(app);
  ctx.log.info('app created', { app: app.id });
  return app;
}

/** The admin API: Bearer adminToken; 403 disabled when no admin token is configured. */
export function adminRoutes(ctx: CenterContext): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/admin/queues',
      // nsqadmin-like: per topic, its channels with depth, in flight, deferred, requeued, timed out, consumers.
      handler: async (r) => {
        ctx.auth.admin(r);
        try {
          return { body: { topics: await ctx.queue.stats() } };
        } catch (err) {
          throw new HttpError(503, 'unavailable', `could not read the queue stats: ${(err as Error)?.message ?? String(err)}`);
        }
      },
    },
    {
      method: 'GET',
      path: '/v1/admin/apps',
      handler: async (r) => {
        ctx.auth.admin(r);
        const apps = await ctx.apps.list();
        return { body: { apps: apps.sort((a, b) => (a.id < b.id ? -1 : 1)).map(redactApp) } };
      },
    },
    {
      method: 'POST',
      path: '/v1/admin/apps',
      // The one answer that shows the secret and the keys in full.
      handler: async (r) => {
        ctx.auth.admin(r);
        return { status: 201, body: { app: await create(ctx, r.body) } };
      },
    },
    {
      method: 'GET',
      path: '/v1/admin/apps/:app',
      handler: async (r) => {
        ctx.auth.admin(r);
        const id = r.params.app;
        const app = isAppId(id) ? await ctx.apps.get(id) : undefined;
        if (!app) throw notFound(`no app ${JSON.stringify(id)}`, 'unknown_app');
        return { body: { app: redactApp(app) } };
      },
    },
  ];
}
