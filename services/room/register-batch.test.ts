import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Session } from '../../shared/contracts/register';
import { createRegisterBatch } from './register-batch';

const session = (device: string, connId: string): Session => ({ app: 'a', device, connId, roomId: 'r1', since: 1 });

describe('room register batch', () => {
  test('registrations of one turn go in one call; each caller gets only its replaced sessions', async () => {
    const calls: Session[][] = [];
    const batch = createRegisterBatch({
      register: async (sessions) => {
        calls.push(sessions);
        // d1 had a session elsewhere; d2's was the other caller's in this batch.
        return [{ ...session('d1', 'old'), roomId: 'r2' }];
      },
    });
    const [r1, r2, r3] = await Promise.all([
      batch.register([session('d1', 'c1')]),
      batch.register([session('d2', 'c2'), session('d3', 'c2')]),
      batch.register([session('d1', 'old')]),
    ]);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].map((s) => s.connId), ['c1', 'c2', 'c2', 'old']);
    assert.deepEqual(r1.map((s) => s.connId), ['old']);
    assert.deepEqual(r2, []);
    assert.deepEqual(r3, [], 'a caller never gets its own session as replaced');
  });

  test('separate turns make separate calls', async () => {
    let calls = 0;
    const batch = createRegisterBatch({ register: async () => {
      calls++;
      return [];
    } });
    await batch.register([session('d1', 'c1')]);
    await batch.register([session('d2', 'c2')]);
    assert.equal(calls, 2);
  });

  test('a failing batch is retried caller by caller: only the bad one fails', async () => {
    const calls: number[] = [];
    const batch = createRegisterBatch({
      register: async (sessions) => {
        calls.push(sessions.length);
        if (sessions.some((s) => s.device === 'bad')) throw new Error('bad device id');
        return [];
      },
    });
    const results = await Promise.allSettled([batch.register([session('d1', 'c1')]), batch.register([session('bad', 'c2')]), batch.register([session('d3', 'c3')])]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((results[1] as PromiseRejectedResult).reason.message, 'bad device id');
    assert.deepEqual(calls, [3, 1, 1, 1]);
  });
});
