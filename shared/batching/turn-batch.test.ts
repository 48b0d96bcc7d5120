import assert from 'node:assert/strict';
import { test } from 'node:test';
import { turnBatch } from './turn-batch';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('the items of one turn go in one send on the next turn; flush sends them at once', async () => {
  const sent: number[][] = [];
  const b = turnBatch<number>((items) => sent.push(items));
  b.add(1);
  b.add(2);
  assert.deepEqual(sent, [], 'nothing sent within the turn');
  await nextTurn();
  assert.deepEqual(sent, [[1, 2]]);
  b.add(3);
  b.flush();
  assert.deepEqual(sent, [[1, 2], [3]], 'flush sends now');
  await nextTurn();
  b.flush();
  assert.deepEqual(sent, [[1, 2], [3]], 'nothing left: no empty send');
});
