import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClientFrame, decodeServerFrame, encodeClientFrame, encodeServerFrame, FrameError } from './codec';

test('client frames round-trip', () => {
  const bytes = encodeClientFrame({ seq: 7, auth: { tokens: ['a', 'b'], platform: 'ios' } });
  const frame = decodeClientFrame(bytes);
  assert.equal(frame.seq, 7);
  assert.equal(frame.body, 'auth');
  assert.deepEqual(frame.auth?.tokens, ['a', 'b']);
});

test('server push round-trips with 64-bit times as numbers', () => {
  const created = Date.now();
  const bytes = encodeServerFrame({ seq: 0, push: { id: 'm1', app: 'demo', payload: Buffer.from('hi'), created, qos: 1 } });
  const frame = decodeServerFrame(bytes);
  assert.equal(frame.body, 'push');
  assert.equal(frame.push?.created, created);
  assert.equal(Buffer.from(frame.push!.payload!).toString(), 'hi');
});

test('garbage and empty frames are rejected with FrameError', () => {
  assert.throws(() => decodeClientFrame(new Uint8Array([0xff, 0xff, 0xff, 0xff])), FrameError);
  assert.throws(() => decodeClientFrame(new Uint8Array([])), FrameError);
  assert.throws(() => decodeServerFrame(new Uint8Array([0x0a])), FrameError);
});
