import { peekToken, TokenError, verifyToken } from '../../shared/auth/jwt';
import type { AppStore } from '../../shared/contracts/apps';
import { NetworkType } from '../../shared/protocol/codec';
import { ErrorCode } from '../../shared/protocol/codes';
import type { RoomConfig } from './config';
import type { Binding } from './context';
import type { AuthFailureReason } from './room-metrics';

/** Why a token was refused: the Error/Reply code, a message for the client, a metric label. */
export interface TokenRefusal {
  code: ErrorCode;
  message: string;
  reason: AuthFailureReason;
}

export type TokenCheck = { ok: true; binding: Binding } | ({ ok: false } & TokenRefusal);

const MAX_TOKEN_LENGTH = 8192;

const refuse = (code: ErrorCode, message: string, reason: AuthFailureReason): TokenCheck => ({ ok: false, code, message, reason });

/**
 * Checks one client token: peek for the app, look the app up, verify with its secret.
 * Never throws on client input; an AppStore failure rejects (the caller answers Unavailable).
 */
export async function checkToken(apps: AppStore, token: unknown, nowMs = Date.now()): Promise<TokenCheck> {
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) {
    return refuse(ErrorCode.BadToken, 'token must be a JWT string', 'bad_token');
  }
  let appId: unknown;
  try {
    appId = peekToken(token).app;
  } catch (err) {
    return refuse(ErrorCode.BadToken, (err as Error).message, 'bad_token');
  }
  if (typeof appId !== 'string' || appId === '') return refuse(ErrorCode.BadToken, 'token has no app claim', 'bad_token');
  const app = await apps.get(appId);
  if (!app) return refuse(ErrorCode.UnknownApp, `unknown app ${JSON.stringify(appId.slice(0, 64))}`, 'unknown_app');
  try {
    const claims = verifyToken(token, app.secret, nowMs);
    return { ok: true, binding: { app: app.id, device: claims.sub, user: claims.uid || undefined } };
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    if (err.expired) return refuse(ErrorCode.TokenExpired, 'token expired', 'expired');
    return refuse(ErrorCode.BadToken, err.message, 'bad_token');
  }
}

/**
 * Checks every token of an Auth frame. The first refusal wins; a later token for an app
 * already seen replaces the earlier one (one binding per app).
 */
export async function checkTokens(apps: AppStore, tokens: unknown[], nowMs = Date.now()): Promise<{ bindings: Binding[] } | TokenRefusal> {
  const checks = await Promise.all(tokens.map((t) => checkToken(apps, t, nowMs)));
  const byApp = new Map<string, Binding>();
  for (const c of checks) {
    if (!c.ok) return { code: c.code, message: c.message, reason: c.reason };
    byApp.set(c.binding.app, c.binding);
  }
  return { bindings: [...byApp.values()] };
}

/** The network's name as stored with sessions. */
export function networkName(network: number | null | undefined): string {
  switch (network) {
    case NetworkType.NETWORK_WIFI:
      return 'wifi';
    case NetworkType.NETWORK_CELLULAR:
      return 'cellular';
    case NetworkType.NETWORK_ETHERNET:
      return 'ethernet';
    default:
      return 'unknown';
  }
}

/** Heartbeat seconds for a network: its default, kept within [min, max]. */
export function negotiateHeartbeat(config: RoomConfig, network: string): number {
  const byNetwork: Record<string, number> = {
    wifi: config.heartbeatWifiSeconds,
    ethernet: config.heartbeatEthernetSeconds,
    cellular: config.heartbeatCellularSeconds,
  };
  const want = byNetwork[network] ?? config.heartbeatUnknownSeconds;
  return Math.min(config.heartbeatMaxSeconds, Math.max(config.heartbeatMinSeconds, want));
}
