import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lag, logKey, Phase, type ConnState } from './context';
import { createLogIds, splitAcks } from './log-ids';

function conn(lag: Lag = Lag.None): ConnState {
  return {
    id: 'c', phase: Phase.Ready, ws: null, sessionId: 's', silenceMs: 0, tokens: 0, refillAt: 0, touched: false,
    network: 'unknown', platform: '', slow: lag === Lag.None ? undefined : { since: 0, lag, dropped: false, catchupAt: 0 }, logMark: 0, closeReason: '', deadline: 0, bucket: -1,
    bindings: [{ app: 'a', device: 'd1' }, { app: 'b', device: 'd2' }],
  };
}

test('log ids: bounded (oldest forgotten first), expired entries are unknown', () => {
  const ids = createLogIds(2);
  const now = Date.now();
  ids.remember('x', { app: 'a', log: '', seq: 1, expires: now + 1000 });
  ids.remember('y', { app: 'a', log: '', seq: 2, expires: now - 1 });
  ids.remember('z', { app: 'a', log: 't', seq: 1, expires: 0 });
  assert.equal(ids.size(), 2);
  assert.equal(ids.get('x', now), undefined);
  assert.equal(ids.get('y', now), undefined);
  assert.deepEqual(ids.get('z', now), { app: 'a', log: 't', seq: 1, expires: 0 });
});

test('splitAcks: log ids to their app only, others to every binding, junk ignored', () => {
  const ids = createLogIds(10);
  ids.remember('L', { app: 'b', log: 'news', seq: 7, expires: 0 });
  ids.remember('Z', { app: 'zzz', log: '', seq: 1, expires: 0 });
  const out = splitAcks(['L', 'U', '', 'Z', 'x'.repeat(300)], conn(), ids, Date.now());
  assert.deepEqual(out.log, [{ app: 'b', device: 'd2', log: 'news', seq: 7, id: 'L' }]);
  assert.deepEqual(out.inbox, [{ app: 'a', device: 'd1', id: 'U' }, { app: 'b', device: 'd2', id: 'U' }]);
});

test('splitAcks: a lagging connection acks a log only up to what a catch-up wrote without a gap', () => {
  const ids = createLogIds(10);
  for (let seq = 1; seq <= 3; seq++) ids.remember(`m${seq}`, { app: 'a', log: '', seq, expires: 0 });
  const c = conn(Lag.Missed);
  assert.deepEqual(splitAcks(['m1', 'm3'], c, ids, Date.now()).log, []);
  c.ackLimits = new Map([[logKey('a', ''), 2]]);
  assert.deepEqual(splitAcks(['m1', 'm2', 'm3'], c, ids, Date.now()).log.map((a) => a.seq), [1, 2]);
});
