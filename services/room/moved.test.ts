import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Phase, type ConnState } from './context';
import type { GraceEntry } from './grace';
import { createMoved } from './moved';

const entry = { connId: 'old', sessionId: 's', bindings: [], logMark: 0, reason: '', deadline: 0, bucket: -1 } as GraceEntry;
const conn = (phase: Phase): ConnState => ({ id: 'new', phase }) as ConnState;

test('an old id leads to the claimed entry while resuming (so does the new id), the connection once ready, its id once closed', () => {
  const moved = createMoved(1000);
  const state = conn(Phase.Authing);
  moved.add('old', state, entry, 0);
  assert.deepEqual(moved.pending('old'), { entry });
  assert.deepEqual(moved.pending('new'), { entry }, 'a push to the new id before the register answered');
  assert.equal(moved.ready('old'), undefined);
  state.phase = Phase.Ready;
  assert.equal(moved.ready('old'), state);
  assert.equal(moved.pending('old'), undefined);
  assert.equal(moved.pending('new'), undefined, 'ready: delivered as any push');
  state.phase = Phase.Closed;
  assert.equal(moved.ready('old'), undefined);
  assert.deepEqual(moved.pending('old'), { connId: 'new' });
  assert.equal(moved.ready('other'), undefined);
  assert.equal(moved.pending('other'), undefined);
});

test('old ids are kept keepMs, then swept in order; delete forgets one', () => {
  const moved = createMoved(1000);
  moved.add('a', conn(Phase.Ready), entry, 0);
  moved.add('b', conn(Phase.Ready), entry, 500);
  moved.add('c', conn(Phase.Ready), entry, 600);
  moved.delete('c');
  moved.sweep(999);
  assert.equal(moved.size(), 2);
  moved.sweep(1000);
  assert.equal(moved.ready('a'), undefined, 'a expired');
  assert.ok(moved.ready('b'));
  moved.sweep(1500);
  assert.equal(moved.size(), 0);
});
