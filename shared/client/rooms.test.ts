import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatchUrl, parseDispatch, RoomList } from './rooms';

test('parseDispatch keeps ws rooms and rejects malformed answers', () => {
  assert.deepEqual(parseDispatch({ rooms: [{ id: 'r1', url: 'ws://a/ws', zone: 'z' }, { id: 'r2', url: 'http://b' }, null, { url: 'wss://c' }] }), [
    { id: 'r1', url: 'ws://a/ws', zone: 'z' },
    { id: 'wss://c', url: 'wss://c', zone: undefined },
  ]);
  assert.throws(() => parseDispatch({}), /rooms array/);
  assert.throws(() => parseDispatch(null), /rooms array/);
  assert.throws(() => parseDispatch({ rooms: [] }), /no usable room/);
});

test('dispatchUrl encodes the query', () => {
  const url = dispatchUrl('http://d:1/', { device: 'a b', app: 'demo', network: 'wifi', exclude: ['r1', 'r2'], failedAll: true });
  assert.equal(url, 'http://d:1/v1/dispatch?device=a+b&app=demo&network=wifi&exclude=r1%2Cr2&failed=all');
  assert.equal(dispatchUrl('http://d', { device: 'x', app: 'y', network: 'unknown', exclude: [], failedAll: false }), 'http://d/v1/dispatch?device=x&app=y&network=unknown');
});

test('RoomList skips failed rooms, rewinds to the last good one, and reports exclusions', () => {
  const list = new RoomList();
  const [a, b, c] = [{ id: 'a', url: 'ws://a' }, { id: 'b', url: 'ws://b' }, { id: 'c', url: 'ws://c' }];
  list.dispatched([a, b, c]);
  assert.equal(list.next(), a);
  list.fail(a);
  assert.equal(list.next(), b);
  list.succeed(b);
  list.rewind();
  assert.deepEqual([list.next(), list.next(), list.next(), list.next()], [b, a, c, undefined]);
  list.fail(b);
  list.fail(a);
  assert.deepEqual(list.dispatchQuery(), { exclude: ['b', 'a'], failedAll: false });
  list.fail(c);
  assert.deepEqual(list.dispatchQuery(), { exclude: ['b', 'a', 'c'], failedAll: true });
  list.redirect(['ws://x']);
  assert.deepEqual(list.next(), { id: 'ws://x', url: 'ws://x' });
  assert.equal(list.dispatchQuery().failedAll, false, 'a redirect list is not a dispatch answer');
  list.restart();
  assert.deepEqual(list.dispatchQuery(), { exclude: [], failedAll: false });
});
