import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TemplatedApp } from 'uWebSockets.js';
import { encodeTask, type FanoutTask } from '../../shared/contracts/tasks';
import type { QueueMessage } from '../../shared/queue/queue';
import type { RoomContext } from './context';
import { createFanoutHandler } from './fanout';
import { broadcastMessage } from './test-harness';

/** A uWS app stand-in that records publishes and the turn (setImmediate count) of each. */
function fakeApp(): { app: TemplatedApp; publishes: { topic: string; turn: number }[]; turn: { n: number } } {
  const publishes: { topic: string; turn: number }[] = [];
  const turn = { n: 0 };
  const app = {
    numSubscribers: () => 3,
    publish: (topic: string) => {
      publishes.push({ topic, turn: turn.n });
      return true;
    },
  } as unknown as TemplatedApp;
  return { app, publishes, turn };
}

/** The few RoomContext parts the fan-out handler uses. */
function fakeCtx(failCount = false, fanoutWindowMs = 0): { ctx: RoomContext; counted: number[] } {
  const counted: number[] = [];
  const inc = (): void => undefined;
  const ctx = {
    config: { fanoutWindowMs },
    logPublishes: 0,
    metrics: { fanoutBad: { inc }, fanoutExpired: { inc }, fanoutTasks: { inc }, pushesSent: { inc }, framesOut: { push: { inc } }, errors: { inc } },
    log: { warn: () => undefined },
    logIds: { remember: () => undefined },
    saver: {
      countLogDelivered: async (c: unknown[]) => {
        if (failCount) throw new Error('saver down');
        counted.push(c.length);
      },
    },
  } as unknown as RoomContext;
  return { ctx, counted };
}

function queueMessage(id: string, seq: number, finished: string[]): QueueMessage {
  const body = encodeTask<FanoutTask>({ message: broadcastMessage(id), log: '', seq });
  return {
    id, topic: 'fanout', body, attempts: 1, timestamp: Date.now(),
    finish: async () => void finished.push(id),
    requeue: async () => undefined,
    touch: async () => undefined,
  };
}

describe('room fan-out: one publish pass per event-loop turn', () => {
  test('batches handed over in the same turn are published together, in order, in one pass', async () => {
    const { app, publishes } = fakeApp();
    const { ctx, counted } = fakeCtx();
    const finished: string[] = [];
    const handler = createFanoutHandler(ctx, app);
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 16; i++) calls.push(handler([queueMessage(`m${i}`, i + 1, finished)]) as Promise<void>);
    assert.equal(publishes.length, 0, 'nothing is published synchronously');
    await Promise.all(calls);
    assert.equal(publishes.length, 16);
    assert.equal(ctx.logPublishes, 1, 'one publish pass for all 16');
    assert.deepEqual(counted, [16], 'one saver call counts them all');
    assert.deepEqual(finished, Array.from({ length: 16 }, (_, i) => `m${i}`));
  });

  test('with fanoutWindowMs, batches of several turns within the window share one pass', async () => {
    const { app, publishes } = fakeApp();
    const { ctx } = fakeCtx(false, 30);
    const finished: string[] = [];
    const handler = createFanoutHandler(ctx, app);
    const first = handler([queueMessage('a', 1, finished)]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(publishes.length, 0, 'held for the window');
    const second = handler([queueMessage('b', 2, finished)]);
    await Promise.all([first, second]);
    assert.equal(publishes.length, 2);
    assert.equal(ctx.logPublishes, 1, 'one pass for both');
    await handler([queueMessage('c', 3, finished)]);
    assert.equal(ctx.logPublishes, 2, 'a batch after the flush waits for a window of its own');
    assert.deepEqual(finished, ['a', 'b', 'c']);
  });

  test('batches of different turns get a pass each', async () => {
    const { app, publishes, turn } = fakeApp();
    const { ctx } = fakeCtx();
    const finished: string[] = [];
    const handler = createFanoutHandler(ctx, app);
    await handler([queueMessage('a', 1, finished)]);
    turn.n++;
    await handler([queueMessage('b', 2, finished), queueMessage('c', 3, finished)]);
    assert.deepEqual(publishes.map((p) => p.turn), [0, 1, 1]);
    assert.equal(ctx.logPublishes, 2);
    assert.deepEqual(finished, ['a', 'b', 'c']);
  });

  test('a failed delivered-count still finishes every message (they were published)', async () => {
    const { app, publishes } = fakeApp();
    const { ctx } = fakeCtx(true);
    const finished: string[] = [];
    const handler = createFanoutHandler(ctx, app);
    await Promise.all([handler([queueMessage('a', 1, finished)]), handler([queueMessage('b', 2, finished)])]);
    assert.equal(publishes.length, 2);
    assert.deepEqual(finished.sort(), ['a', 'b']);
  });

  test('a publish that throws rejects every handler call of the pass (the queue requeues them)', async () => {
    const { ctx } = fakeCtx();
    const app = { numSubscribers: () => 1, publish: () => { throw new Error('boom'); } } as unknown as TemplatedApp;
    const finished: string[] = [];
    const handler = createFanoutHandler(ctx, app);
    const results = await Promise.allSettled([handler([queueMessage('a', 1, finished)]), handler([queueMessage('b', 2, finished)])]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.deepEqual(finished, []);
  });
});
