import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims of a Herald client token: sub = device id, app = app id, uid = optional user alias. */
export interface TokenClaims {
  sub: string;
  app: string;
  uid?: string;
  /** Expiry, seconds since the Unix epoch. */
  exp: number;
  iat?: number;
}

export class TokenError extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
  }
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs claims as an HS256 JWT with the app's secret. */
export function signToken(claims: TokenClaims, secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** Reads a token's claims without checking the signature (to find the app and its secret). */
export function peekToken(token: string): Partial<TokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('token is not a JWT');
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) throw new Error('not an object');
    return claims as Partial<TokenClaims>;
  } catch {
    throw new TokenError('token claims are not JSON');
  }
}

/** Verifies an HS256 token; throws TokenError on a bad signature, bad claims or expiry. */
export function verifyToken(token: string, secret: string, nowMs = Date.now()): TokenClaims {
  const [head, body, sig] = token.split('.');
  if (!head || !body || !sig) throw new TokenError('token is not a JWT');
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    throw new TokenError('token header is not JSON');
  }
  if (alg !== 'HS256') throw new TokenError('token algorithm must be HS256');
  const want = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new TokenError('bad token signature');
  const c = peekToken(token);
  if (typeof c.sub !== 'string' || c.sub === '' || c.sub.length > 128) throw new TokenError('token sub must be a device id');
  if (typeof c.app !== 'string' || c.app === '') throw new TokenError('token app is missing');
  if (c.uid !== undefined && (typeof c.uid !== 'string' || c.uid.length > 128)) throw new TokenError('token uid must be a string');
  if (typeof c.exp !== 'number') throw new TokenError('token exp is missing');
  if (c.exp * 1000 <= nowMs) throw new TokenError('token expired', true);
  return c as TokenClaims;
}
