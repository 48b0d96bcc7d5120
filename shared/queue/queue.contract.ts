import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { ConsumeOptions, Queue, QueueMessage } from './queue';

/** Makes a fresh queue; the suite closes it. Several may share one backend (same prefix) in a test. */
export type QueueFactory = () => Queue;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const opts = (o: Partial<ConsumeOptions> = {}): ConsumeOptions => ({ maxInFlight: 10, timeoutMs: 300, ...o });
let topicSeq = 0;
const topicName = (what: string): string => `${what}-${process.pid}-${Date.now().toString(36)}-${++topicSeq}`;

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function bodies(prefix: string, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => enc(`${prefix}${i}`));
}

/** Runs the Queue contract against one backend. */
export function describeQueue(name: string, factory: QueueFactory): void {
  describe(`Queue contract: ${name}`, () => {
    const open = (t: TestContext): Queue => {
      const q = factory();
      t.after(() => q.close());
      return q;
    };

    test('every channel gets every message; consumers of one channel share it, none twice', async (t) => {
      const q = open(t);
      const topic = topicName('fan');
      const a: string[] = [];
      const b1: string[] = [];
      const b2: string[] = [];
      const slow = (into: string[]) => async (ms: QueueMessage[]) => {
        for (const m of ms) into.push(dec(m.body));
        await sleep(5);
        for (const m of ms) await m.finish();
      };
      const ca = q.consume(topic, 'a', slow(a), opts());
      const cb1 = q.consume(topic, 'b', slow(b1), opts({ maxInFlight: 2 }));
      const cb2 = q.consume(topic, 'b', slow(b2), opts({ maxInFlight: 2 }));
      await sleep(100);
      const ids = await q.publish(topic, bodies('m', 40));
      assert.equal(ids.length, 40);
      assert.equal(new Set(ids).size, 40);
      await waitFor('all messages on both channels', () => a.length >= 40 && b1.length + b2.length >= 40);
      await sleep(100);
      assert.deepEqual([...a].sort(), bodies('m', 40).map(dec).sort());
      assert.deepEqual([...b1, ...b2].sort(), bodies('m', 40).map(dec).sort());
      assert.ok(b1.length > 0 && b2.length > 0, `shared: ${b1.length}/${b2.length}`);
      await Promise.all([ca.stop(), cb1.stop(), cb2.stop()]);
    });

    test('messages published before any channel go to the first channel', async (t) => {
      const q = open(t);
      const topic = topicName('early');
      await q.publish(topic, bodies('e', 3));
      const got: string[] = [];
      const c = q.consume(topic, 'late', async (ms) => {
        for (const m of ms) {
          got.push(dec(m.body));
          await m.finish();
        }
      }, opts());
      await waitFor('backlog', () => got.length >= 3);
      assert.deepEqual(got, ['e0', 'e1', 'e2']);
      await c.stop();
    });

    test('an unfinished message is redelivered after its timeout with attempts 2', async (t) => {
      const q = open(t);
      const topic = topicName('timeout');
      const seen: { attempts: number; at: number; id: string }[] = [];
      const c = q.consume(topic, 'c', (ms) => {
        for (const m of ms) {
          seen.push({ attempts: m.attempts, at: Date.now(), id: m.id });
          if (m.attempts >= 2) void m.finish();
        }
      }, opts({ timeoutMs: 200 }));
      const [id] = await q.publish(topic, [enc('x')]);
      await waitFor('redelivery', () => seen.length >= 2);
      assert.deepEqual(seen.map((s) => s.attempts), [1, 2]);
      assert.deepEqual(seen.map((s) => s.id), [id, id]);
      assert.ok(seen[1].at - seen[0].at >= 180, `redelivered after ${seen[1].at - seen[0].at} ms`);
      await sleep(400);
      assert.equal(seen.length, 2, 'finished: not delivered again');
      await c.stop();
    });

    test('touch extends the timeout', async (t) => {
      const q = open(t);
      const topic = topicName('touch');
      const seen: QueueMessage[] = [];
      const c = q.consume(topic, 'c', (ms) => void seen.push(...ms), opts({ timeoutMs: 300 }));
      await q.publish(topic, [enc('x')]);
      await waitFor('delivery', () => seen.length >= 1);
      for (let i = 0; i < 3; i++) {
        await sleep(150);
        await seen[0].touch();
      }
      assert.equal(seen.length, 1, 'touched: not redelivered');
      await seen[0].finish();
      await sleep(400);
      assert.equal(seen.length, 1);
      await c.stop();
    });

    test('requeue with a delay is not delivered before the delay', async (t) => {
      const q = open(t);
      const topic = topicName('requeue');
      const seen: { attempts: number; at: number }[] = [];
      const c = q.consume(topic, 'c', async (ms) => {
        for (const m of ms) {
          seen.push({ attempts: m.attempts, at: Date.now() });
          await (m.attempts === 1 ? m.requeue(300) : m.finish());
        }
      }, opts({ timeoutMs: 2000 }));
      await q.publish(topic, [enc('r')]);
      await waitFor('second delivery', () => seen.length >= 2);
      assert.equal(seen[1].attempts, 2);
      assert.ok(seen[1].at - seen[0].at >= 280, `redelivered after ${seen[1].at - seen[0].at} ms`);
      await c.stop();
    });

    test('past maxAttempts the message goes to <topic>.dead', async (t) => {
      const q = open(t);
      const topic = topicName('dead');
      const dead: string[] = [];
      const attempts: number[] = [];
      const cd = q.consume(`${topic}.dead`, 'd', async (ms) => {
        for (const m of ms) {
          dead.push(dec(m.body));
          await m.finish();
        }
      }, opts());
      const c = q.consume(topic, 'c', async (ms) => {
        for (const m of ms) {
          attempts.push(m.attempts);
          await m.requeue();
        }
      }, opts({ maxAttempts: 3 }));
      await q.publish(topic, [enc('poison')]);
      await waitFor('dead letter', () => dead.length >= 1);
      assert.deepEqual(dead, ['poison']);
      assert.deepEqual(attempts, [1, 2, 3]);
      await Promise.all([c.stop(), cd.stop()]);
    });

    test('a handler that throws gets its batch again', async (t) => {
      const q = open(t);
      const topic = topicName('throws');
      const seen: number[] = [];
      const c = q.consume(topic, 'c', async (ms) => {
        for (const m of ms) seen.push(m.attempts);
        if (ms[0].attempts === 1) throw new Error('boom (expected in this test)');
        for (const m of ms) await m.finish();
      }, opts({ timeoutMs: 5000 }));
      await q.publish(topic, [enc('t')]);
      await waitFor('redelivery after throw', () => seen.length >= 2);
      assert.deepEqual(seen, [1, 2]);
      await c.stop();
    });

    test('deferred delivery: not before deliverAt; cancelDeferred prevents it', async (t) => {
      const q = open(t);
      const topic = topicName('deferred');
      const seen: { body: string; id: string; at: number }[] = [];
      const c = q.consume(topic, 'c', async (ms) => {
        for (const m of ms) {
          seen.push({ body: dec(m.body), id: m.id, at: Date.now() });
          await m.finish();
        }
      }, opts());
      const start = Date.now();
      const id = await q.publishDeferred(topic, enc('later'), start + 400, 'push-1');
      assert.equal(id, 'push-1');
      const gone = await q.publishDeferred(topic, enc('cancelled'), start + 300);
      assert.equal((await q.stats()).find((s) => s.topic === topic)?.deferred, 2);
      assert.equal(await q.cancelDeferred(topic, gone), true);
      assert.equal(await q.cancelDeferred(topic, gone), false);
      assert.equal(await q.cancelDeferred(topic, 'never-published'), false);
      await waitFor('deferred message', () => seen.length >= 1);
      assert.ok(seen[0].at >= start + 390, `delivered ${seen[0].at - start} ms after publish`);
      assert.deepEqual(seen.map((s) => [s.body, s.id]), [['later', 'push-1']]);
      assert.equal(await q.cancelDeferred(topic, 'push-1'), false, 'already fired');
      await sleep(300);
      assert.equal(seen.length, 1);
      await c.stop();
    });

    test('maxInFlight is honoured', async (t) => {
      const q = open(t);
      const topic = topicName('rdy');
      let held = 0;
      let most = 0;
      let total = 0;
      const c = q.consume(topic, 'c', (ms) => {
        held += ms.length;
        most = Math.max(most, held);
        for (const m of ms) {
          setTimeout(() => {
            held--;
            total++;
            void m.finish();
          }, 3);
        }
      }, opts({ maxInFlight: 3, timeoutMs: 5000 }));
      await q.publish(topic, bodies('f', 30));
      await waitFor('all finished', () => total >= 30);
      assert.ok(most <= 3, `at most 3 in flight, saw ${most}`);
      assert.ok(most >= 2, `batches used the free slots, saw ${most}`);
      await c.stop();
    });

    test('a consumer that stops without finishing: another consumer gets its messages', async (t) => {
      const q1 = open(t);
      const q2 = q1;
      const topic = topicName('handover');
      let first = 0;
      const c1 = q1.consume(topic, 'c', (ms) => void (first += ms.length), opts({ timeoutMs: 200 }));
      await q1.publish(topic, bodies('h', 5));
      await waitFor('first consumer has them', () => first >= 5);
      await c1.stop();
      const got: QueueMessage[] = [];
      const c2 = q2.consume(topic, 'c', async (ms) => {
        for (const m of ms) {
          got.push(m);
          await m.finish();
        }
      }, opts({ timeoutMs: 200 }));
      await waitFor('second consumer has them', () => got.length >= 5);
      assert.deepEqual(got.map((m) => dec(m.body)).sort(), bodies('h', 5).map(dec));
      assert.ok(got.every((m) => m.attempts === 2));
      await c2.stop();
    });

    test('an ephemeral channel goes away with its last consumer', async (t) => {
      const q = open(t);
      const topic = topicName('eph');
      let got = 0;
      const handler = async (ms: QueueMessage[]): Promise<void> => {
        got += ms.length;
        for (const m of ms) await m.finish();
      };
      const c1 = q.consume(topic, 'room-1', handler, opts({ ephemeral: true }));
      const c2 = q.consume(topic, 'room-1', handler, opts({ ephemeral: true }));
      await sleep(100);
      await q.publish(topic, [enc('e')]);
      await waitFor('delivery', () => got >= 1);
      const channels = async (): Promise<string[]> =>
        ((await q.stats()).find((s) => s.topic === topic)?.channels ?? []).map((ch) => `${ch.channel}:${ch.ephemeral}:${ch.consumers}`);
      let seen: string[] = [];
      const end = Date.now() + 3000;
      while (Date.now() < end && (seen = await channels())[0] !== 'room-1:true:2') await sleep(20);
      assert.deepEqual(seen, ['room-1:true:2']);
      await c1.stop();
      assert.deepEqual(await channels(), ['room-1:true:1']);
      await c2.stop();
      await c2.stop();
      assert.deepEqual(await channels(), []);
    });

    test('stats count depth, in flight, requeued, finished, deferred', async (t) => {
      const q = open(t);
      const topic = topicName('stats');
      await q.consume(topic, 'idle', () => undefined, opts()).stop();
      const c = q.consume(topic, 'c', async (ms) => {
        for (const m of ms) {
          const b = dec(m.body);
          if (b === 's0' || b === 's1') await m.finish();
          else if (b === 's2') await m.requeue(60_000);
        }
      }, opts({ timeoutMs: 60_000 }));
      await sleep(100);
      await q.publish(topic, bodies('s', 4));
      await q.publishDeferred(topic, enc('d'), Date.now() + 60_000);
      const expected = {
        channel: 'c', depth: 0, inFlight: 1, deferred: 1, requeued: 1, timedOut: 0, finished: 2, consumers: 1, ephemeral: false,
      };
      const find = async () => (await q.stats()).find((s) => s.topic === topic);
      const end = Date.now() + 3000;
      let ts = await find();
      while (Date.now() < end && JSON.stringify(ts?.channels.find((ch) => ch.channel === 'c')) !== JSON.stringify(expected)) {
        await sleep(20);
        ts = await find();
      }
      assert.ok(ts);
      assert.ok(ts.messages >= 4, `messages ${ts.messages}`);
      assert.equal(ts.deferred, 1);
      const ch = ts.channels.find((x) => x.channel === 'c');
      assert.deepEqual(ch && { ...ch }, expected);
      const idle = ts.channels.find((x) => x.channel === 'idle');
      assert.equal(idle?.depth, 4, 'a durable channel without consumers keeps its messages');
      assert.equal(idle?.consumers, 0);
      await c.stop();
    });

    test('bad input gets a clear error', async (t) => {
      const q = open(t);
      await assert.rejects(q.publish('', [enc('x')]), /topic/);
      await assert.rejects(q.publish('t', ['x' as unknown as Uint8Array]), /Uint8Array/);
      await assert.rejects(q.publishDeferred('t', enc('x'), Number.NaN), /deliverAt/);
      assert.throws(() => q.consume('t', 'c', () => undefined, opts({ maxInFlight: 0 })), /maxInFlight/);
      assert.throws(() => q.consume('t', 'c', () => undefined, opts({ timeoutMs: -1 })), /timeoutMs/);
      assert.throws(() => q.consume('t', 'bad channel', () => undefined, opts()), /channel/);
    });
  });
}
