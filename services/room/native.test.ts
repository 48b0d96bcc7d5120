import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../shared/log/log';
import { checkUws, detectUws, loadUws } from './native';

const log = createLogger({}, 'error');
const nativeInfo = {
  exports: { App: () => undefined, H3App: () => undefined },
  cachedPaths: ['/x/node_modules/uWebSockets.js/src/uws.js', '/x/node_modules/uWebSockets.js/binaries/uws_linux_x64_115.node'],
};
const fallbackInfo = {
  exports: { App: () => undefined },
  cachedPaths: ['/x/node_modules/uWebSockets.js/src/uws.js', '/x/node_modules/uWebSockets.js/dist/index.js'],
};

test('the native binary is recognized and allowed', () => {
  const impl = checkUws(nativeInfo, false, log);
  assert.equal(impl.native, true);
  assert.match(impl.path!, /uws_linux_x64_115\.node$/);
});

test('the fallback is refused unless allowFallback', () => {
  assert.equal(detectUws(fallbackInfo).native, false);
  assert.throws(() => checkUws(fallbackInfo, false, log), /fallback.*HERALD_ROOM_ALLOW_FALLBACK/s);
  assert.equal(checkUws(fallbackInfo, true, log).native, false);
});

test('a module without H3App is not native even when dist/index.js is not cached', () => {
  const odd = { exports: { App: () => undefined }, cachedPaths: [] };
  assert.equal(detectUws(odd).native, false);
  assert.throws(() => checkUws(odd, false, log), /H3App/);
});

test('this machine loads the native binary', () => {
  assert.equal(detectUws(loadUws().info).native, true);
});
