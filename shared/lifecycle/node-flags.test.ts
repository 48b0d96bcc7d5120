import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roomNodeFlags, roomNodeOptions } from './node-flags';

// deploy/room.env sets the same flags: services/cluster-tests/deploy-configs.test.ts checks it.
test('roomNodeOptions keeps what the environment already has', () => {
  assert.equal(roomNodeOptions(undefined), roomNodeFlags.join(' '));
  assert.equal(roomNodeOptions(''), roomNodeFlags.join(' '));
  assert.equal(roomNodeOptions('--enable-source-maps'), ['--enable-source-maps', ...roomNodeFlags].join(' '));
});
