import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../shared/config/config';
import { loadRoomConfig } from './config';

test('defaults, a random id, env overrides', () => {
  const c = loadRoomConfig({}, { HERALD_ROOM_MAX_PAYLOAD: '2048', HERALD_ROOM_ALLOW_FALLBACK: 'true' });
  assert.match(c.id, /^room-[0-9a-f]{8}$/);
  assert.equal(c.port, 8090);
  assert.equal(c.path, '/ws');
  assert.equal(c.capacity, 15000);
  assert.equal(c.maxPayload, 2048);
  assert.equal(c.allowFallback, true);
  assert.equal(loadRoomConfig({ id: 'r1' }, {}).id, 'r1');
});

test('bad options fail with their path', () => {
  assert.throws(() => loadRoomConfig({}, { HERALD_ROOM_MAX_PAYLOAD: 'lots' }), /room\.maxPayload: .*HERALD_ROOM_MAX_PAYLOAD/);
  assert.throws(() => loadRoomConfig({ path: 'ws' }, {}), ConfigError);
  assert.throws(() => loadRoomConfig({ heartbeatMinSeconds: 100, heartbeatMaxSeconds: 50 }, {}), /heartbeatMinSeconds/);
});
