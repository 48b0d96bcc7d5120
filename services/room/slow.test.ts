import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeTask, QueueTopics } from '../../shared/contracts/tasks';
import { CloseCode } from '../../shared/protocol/codes';
import { broadcastMessage, startRoom, TestClient, token, type Harness } from './test-harness';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Paused = { _socket: { pause(): void; resume(): void } };
const pause = (c: TestClient): void => (c.ws as unknown as Paused)._socket.pause();
const resume = (c: TestClient): void => (c.ws as unknown as Paused)._socket.resume();

const KiB = 1024;
/** Big enough to overflow the kernel's socket buffers on loopback, then uWS's 16 KiB limit. */
const COUNT = 64;
const PAYLOAD = Buffer.alloc(256 * KiB, 7);

/** Logs COUNT big qos 1 broadcasts and publishes them on the fan-out topic in batches of 8; answers the ids. */
async function flood(h: Harness, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i += 8) {
    const bodies = [];
    for (let j = i; j < i + 8; j++) {
      const m = broadcastMessage(`${prefix}${j}`, { payload: PAYLOAD });
      ids.push(m.id);
      bodies.push(encodeTask({ message: m, log: '', seq: await h.saver.appendLog(m) }));
    }
    await h.queue.publish(QueueTopics.fanout, bodies);
    // Let the room consume and publish this batch before the next (a stream of broadcasts).
    await sleep(20);
  }
  return ids;
}

/** Reads pushes until every id was seen at least once; acks them as they come. */
async function receiveAll(c: TestClient, ids: string[], timeoutMs = 15_000): Promise<Set<string>> {
  const want = new Set(ids);
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while ([...want].some((id) => !seen.has(id))) {
    const f = await c.nextOf('push', Math.max(1, deadline - Date.now()));
    seen.add(f.push!.id!);
    c.send({ ack: { ids: [f.push!.id!] } });
  }
  return seen;
}

async function delivered(h: Harness, prefix: string): Promise<number> {
  const status = await h.saver.status('demo', `${prefix}0`);
  return status?.delivered ?? 0;
}

const slowConfig = { maxBackpressure: 16 * KiB, sweepIntervalMs: 50, catchupIntervalMs: 100, rateLimitBurst: 1000, rateLimitPerSecond: 1000 };

describe('room: slow receivers', () => {
  test('a client that stops reading during a stream of broadcasts gets every qos 1 one after it resumes', async () => {
    const h = await startRoom({ ...slowConfig, slowConsumerMs: 20_000 });
    try {
      const { client } = await TestClient.authed(h.url, [token('slow')]);
      const { client: fast } = await TestClient.authed(h.url, [token('fast')]);
      pause(client);
      const ids = await flood(h, 's');
      const fastGot = await receiveAll(fast, ids);
      assert.equal(fastGot.size, COUNT);
      // Let the scan see the socket over the limit (publishes have been skipping it).
      await sleep(200);
      assert.equal(h.room.connectionCount(), 2, 'not closed before slowConsumerMs');
      resume(client);
      const got = await receiveAll(client, ids);
      assert.equal(got.size, COUNT);
      assert.match(await h.metrics.metrics(), /herald_room_log_catchups_total\{room="[^"]+"\} [1-9]/);
      assert.ok((await delivered(h, 's')) >= 1);
      client.close();
      fast.close();
    } finally {
      await h.stop();
    }
  });

  test('a client that stops reading and reconnects gets every qos 1 broadcast at connect', async () => {
    const h = await startRoom({ ...slowConfig, slowConsumerMs: 20_000 });
    try {
      const { client } = await TestClient.authed(h.url, [token('gone')]);
      pause(client);
      const ids = await flood(h, 'r');
      client.close();
      while (h.room.connectionCount() > 0) await sleep(10);
      const { client: again } = await TestClient.authed(h.url, [token('gone')]);
      const got = await receiveAll(again, ids);
      assert.equal(got.size, COUNT);
      again.close();
    } finally {
      await h.stop();
    }
  });

  test('a client that never reads again is closed with SlowConsumer after slowConsumerMs', async () => {
    const h = await startRoom({ ...slowConfig, slowConsumerMs: 500 });
    try {
      const { client } = await TestClient.authed(h.url, [token('stuck')]);
      pause(client);
      const started = Date.now();
      await flood(h, 'k');
      while (h.room.connectionCount() > 0) {
        assert.ok(Date.now() - started < 5000, 'still open after 5 s');
        await sleep(20);
      }
      assert.ok(Date.now() - started >= 500, `closed after ${Date.now() - started} ms`);
      assert.match(await h.metrics.metrics(), /herald_room_closes_total\{room="[^"]+",code="4002"\} 1/);
      resume(client);
      // The close frame queues behind the backlog, so the client may only see the drop (1006).
      assert.ok([1006, CloseCode.SlowConsumer].includes((await client.closed).code as 1006));
    } finally {
      await h.stop();
    }
  });
});
