import { type TokenClaims, signToken } from '../../shared/auth/jwt';
import { badRequest } from '../../shared/http/errors';
import type { Route } from '../../shared/http/http-server';
import type { CenterContext } from './context';
import { checkId } from './push-request';

/** Longest lifetime of a minted token, seconds (a year). */
const MAX_TOKEN_TTL = 365 * 86_400;
const FIELDS = new Set(['device', 'uid', 'ttl']);

/**
 * POST /v1/apps/:app/tokens {device, uid?, ttl?} -> {token, expires}: a client token for the
 * device signed with the app's secret. `expires` is milliseconds since the Unix epoch, like
 * every time on this API (the token's own exp claim is in seconds).
 */
export function tokenRoutes(ctx: CenterContext): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/apps/:app/tokens',
      handler: async (r) => {
        const app = await ctx.auth.app(r);
        const b = r.body;
        if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badRequest('body must be a JSON object');
        const body = b as Record<string, unknown>;
        const unknown = Object.keys(body).filter((k) => !FIELDS.has(k));
        if (unknown.length) throw badRequest(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
        const device = checkId(body.device, 'device', 'bad_device');
        const uid = body.uid === undefined ? undefined : checkId(body.uid, 'uid', 'bad_uid');
        const ttl = body.ttl ?? ctx.config.mintTokenTtlSeconds;
        if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL) {
          throw badRequest(`ttl must be an integer number of seconds from 1 to ${MAX_TOKEN_TTL}`, 'bad_ttl');
        }
        const now = Math.floor(Date.now() / 1000);
        const claims: TokenClaims = { sub: device, app: app.id, iat: now, exp: now + ttl };
        if (uid !== undefined) claims.uid = uid;
        return { body: { token: signToken(claims, app.secret), expires: claims.exp * 1000 } };
      },
    },
  ];
}
