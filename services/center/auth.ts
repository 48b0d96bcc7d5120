import { createHash, timingSafeEqual } from 'node:crypto';
import type { App, AppStore } from '../../shared/contracts/apps';
import { HttpError, notFound, unauthorized } from '../../shared/http/errors';
import type { Request } from '../../shared/http/http-server';

/** Checks the Bearer token of a request. */
export interface Auth {
  /** The app named by :app, if the token is one of its API keys or the admin token; else throws 401/404. */
  app(req: Request): Promise<App>;
  /** Throws 403 when the admin API is disabled, 401 when the token is not the admin token. */
  admin(req: Request): void;
}

function bearer(req: Request): string {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  if (!m) throw unauthorized('missing Authorization: Bearer <api key>');
  return m[1];
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function createAuth(apps: AppStore, adminToken: string): Auth {
  const adminDigest = adminToken === '' ? undefined : digest(adminToken);
  // Compare digests so the comparison takes the same time whatever the token's length.
  const isAdmin = (token: string): boolean => adminDigest !== undefined && timingSafeEqual(digest(token), adminDigest);

  return {
    async app(req) {
      const token = bearer(req);
      const id = req.params.app;
      const admin = isAdmin(token);
      const keyApp = admin ? undefined : await apps.byApiKey(token);
      // An unknown app is only revealed to a caller holding some valid key.
      if (!admin && !keyApp) throw unauthorized('unknown API key');
      const app = keyApp?.id === id ? keyApp : await apps.get(id);
      if (!app) throw notFound(`no app ${JSON.stringify(id)}`, 'unknown_app');
      if (!admin && keyApp?.id !== app.id) throw unauthorized(`the API key does not belong to app ${id}`);
      return app;
    },
    admin(req) {
      if (!adminDigest) throw new HttpError(403, 'disabled', 'the admin API is disabled (no admin token configured)');
      if (!isAdmin(bearer(req))) throw unauthorized('bad admin token');
    },
  };
}
