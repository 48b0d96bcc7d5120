import type * as UWS from 'uWebSockets.js';
import type { Logger } from '../../shared/log/log';

export type Uws = typeof UWS;

/** What is known about a loaded uWebSockets.js: its exports and the module paths in require.cache. */
export interface UwsModuleInfo {
  exports: Record<string, unknown>;
  cachedPaths: string[];
}

export interface UwsImplementation {
  native: boolean;
  /** The loaded .node binary, or the fallback's entry file. */
  path?: string;
  reason: string;
}

const FALLBACK_ENTRY = /uWebSockets\.js[\\/]dist[\\/]index\.js$/;
const NATIVE_BINARY = /uWebSockets\.js[\\/]binaries[\\/][^\\/]+\.node$/;

/**
 * Tells the native binary from the package's pure-JS fallback, which it loads silently when
 * the binary does not fit this Node build: the fallback's dist/index.js sits in require.cache
 * and the native-only export H3App is missing.
 */
export function detectUws(info: UwsModuleInfo): UwsImplementation {
  const fallback = info.cachedPaths.find((p) => FALLBACK_ENTRY.test(p));
  if (fallback) return { native: false, path: fallback, reason: 'pure-JS fallback (dist/index.js) is loaded' };
  if (typeof info.exports.H3App !== 'function') {
    return { native: false, reason: 'export H3App is missing: not the native binary' };
  }
  const binary = info.cachedPaths.find((p) => NATIVE_BINARY.test(p));
  return { native: true, path: binary, reason: 'native binary' };
}

/** Throws when the fallback runs and it is not allowed; logs which implementation runs. */
export function checkUws(info: UwsModuleInfo, allowFallback: boolean, log: Logger): UwsImplementation {
  const impl = detectUws(info);
  if (impl.native) {
    log.info('uWebSockets.js: native implementation', { path: impl.path });
    return impl;
  }
  if (!allowFallback) {
    throw new Error(
      `uWebSockets.js runs its slow fallback (${impl.reason}); install a Node version its binaries support ` +
        'or set HERALD_ROOM_ALLOW_FALLBACK=true to run anyway',
    );
  }
  log.warn('uWebSockets.js: running the slow pure-JS fallback (allowed by room.allowFallback)', { reason: impl.reason });
  return impl;
}

/** Loads uWebSockets.js and describes it for checkUws(). */
export function loadUws(): { uws: Uws; info: UwsModuleInfo } {
  const uws = require('uWebSockets.js') as Uws;
  const cachedPaths = Object.keys(require.cache).filter((p) => p.includes('uWebSockets.js'));
  return { uws, info: { exports: uws as unknown as Record<string, unknown>, cachedPaths } };
}
