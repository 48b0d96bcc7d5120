import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../shared/contracts/apps';
import type { UpstreamRequest } from '../../shared/contracts/coordinator';
import { ErrorCode } from '../../shared/protocol/codes';
import { createRedisQueue } from '../../shared/queue/redis-queue';
import { testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { type CoordHarness, type WebhookServer, recordingLogger, startCoordinator, startWebhookServer, until } from './test-kit';
import { replyFromAnswer } from './upstream';
import { verifyWebhook } from './webhook';

const SECRET = 'secret-of-app-one-0123';
let hooks: WebhookServer;
before(async () => (hooks = await startWebhookServer()));
after(() => hooks.close());

const app = (): App => ({ id: 'app1', name: 'One', secret: SECRET, apiKeys: ['key-of-app-one-0123'], routes: { chat: `${hooks.url}/chat`, geo: `${hooks.url}/geo` } });
const req = (type: string, seq: number, roomId = 'r1'): UpstreamRequest => ({
  app: 'app1',
  device: 'd1',
  user: 'u1',
  type,
  payload: new Uint8Array(Buffer.from(`hello ${seq}`)),
  roomId,
  connId: `c${seq}`,
  seq,
});

async function withCoord(fn: (h: CoordHarness) => Promise<void>, config = {}): Promise<void> {
  hooks.hits = [];
  const h = await startCoordinator([app()], config);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const allReplies = (h: CoordHarness) => h.rooms.replies.flatMap((r) => r.batch.map((b) => ({ ...b, roomId: r.roomId })));

describe('upstream', () => {
  test('reaches the webhook signed; the reply payload reaches the room', () =>
    withCoord(async (h) => {
      hooks.answer = () => ({ status: 200, body: { reply: { ok: true, n: 1 } } });
      await h.coordinator.upstream([req('chat', 7)]);
      await until('a reply', () => h.rooms.replies.length === 1);
      assert.equal(hooks.hits.length, 1);
      const hit = hooks.hits[0];
      const ts = String(hit.headers['x-herald-timestamp']);
      assert.equal(verifyWebhook(SECRET, ts, String(hit.headers['x-herald-signature']), hit.body), true, 'signature verifies');
      assert.equal(verifyWebhook('another-secret-0123456', ts, String(hit.headers['x-herald-signature']), hit.body), false);
      assert.equal(verifyWebhook(SECRET, ts, String(hit.headers['x-herald-signature']), hit.body + ' '), false);
      const body = JSON.parse(hit.body);
      assert.equal(hit.headers['x-herald-id'], body.id);
      assert.deepEqual({ ...body, id: undefined, time: undefined }, { id: undefined, time: undefined, app: 'app1', device: 'd1', user: 'u1', type: 'chat', payload: Buffer.from('hello 7').toString('base64'), room: 'r1' });
      assert.ok(Math.abs(body.time - Date.now()) < 5000);
      const [r] = allReplies(h);
      assert.equal(r.roomId, 'r1');
      assert.equal(r.connId, 'c7');
      assert.equal(r.seq, 7);
      assert.equal(r.code, ErrorCode.Ok);
      assert.equal(Buffer.from(r.payload!).toString(), '{"ok":true,"n":1}');
    }));

  test('no route for the type, or an unknown app: NoRoute at once, batched per room, no webhook call', () =>
    withCoord(async (h) => {
      await h.coordinator.upstream([req('nope', 1), req('nope', 2, 'r2'), { ...req('chat', 3), app: 'ghost' }, req('constructor', 4)]);
      await until('replies', () => allReplies(h).length === 4);
      assert.equal(h.rooms.replies.length, 2, 'one batch per room');
      for (const r of allReplies(h)) assert.equal(r.code, ErrorCode.NoRoute);
      assert.match(allReplies(h).find((r) => r.seq === 1)!.message, /no route for type "nope"/);
      assert.match(allReplies(h).find((r) => r.seq === 3)!.message, /unknown app ghost/);
      assert.equal(hooks.hits.length, 0);
    }));

  test('a failing webhook is called upstreamMaxAttempts times, then UpstreamFailed naming the status', () =>
    withCoord(
      async (h) => {
        hooks.answer = () => ({ status: 500, body: 'boom' });
        await h.coordinator.upstream([req('chat', 9)]);
        await until('a reply', () => h.rooms.replies.length === 1);
        assert.equal(hooks.hits.length, 3);
        const ids = new Set(hooks.hits.map((x) => x.headers['x-herald-id']));
        assert.equal(ids.size, 1, 'the same id on every retry');
        const [r] = allReplies(h);
        assert.equal(r.code, ErrorCode.UpstreamFailed);
        assert.equal(r.seq, 9);
        assert.match(r.message, /failed 3 time\(s\); last: HTTP 500/);
        await new Promise((res) => setTimeout(res, 100));
        assert.equal(hooks.hits.length, 3, 'no more calls after giving up');
        assert.match(await h.metrics.metrics(), /herald_coordinator_upstream_total\{outcome="given_up"\} 1/);
      },
      { upstreamMaxAttempts: 3 },
    ));

  test('a webhook that recovers on the 2nd attempt: success reply with replyBase64', () =>
    withCoord(async (h) => {
      hooks.answer = (_r, n) => (n === 1 ? { status: 503 } : { status: 200, body: { replyBase64: Buffer.from([1, 2, 3]).toString('base64') } });
      await h.coordinator.upstream([req('geo', 5)]);
      await until('a reply', () => h.rooms.replies.length === 1);
      assert.equal(hooks.hits.length, 2);
      const [r] = allReplies(h);
      assert.equal(r.code, ErrorCode.Ok);
      assert.deepEqual([...r.payload!], [1, 2, 3]);
    }));

  test('a webhook slower than webhookTimeoutMs counts as failed (timed out)', () =>
    withCoord(
      async (h) => {
        hooks.answer = () => new Promise((res) => setTimeout(() => res({ status: 200 }), 300));
        await h.coordinator.upstream([req('chat', 1)]);
        await until('a reply', () => h.rooms.replies.length === 1);
        assert.match(allReplies(h)[0].message, /last: timed out/);
        assert.equal(allReplies(h)[0].code, ErrorCode.UpstreamFailed);
      },
      { webhookTimeoutMs: 50, upstreamMaxAttempts: 2 },
    ));

  test('concurrent calls are bounded by maxConcurrentWebhooks', () =>
    withCoord(
      async (h) => {
        let open = 0;
        let most = 0;
        hooks.answer = async () => {
          most = Math.max(most, ++open);
          await new Promise((res) => setTimeout(res, 20));
          open--;
          return { status: 200 };
        };
        await h.coordinator.upstream(Array.from({ length: 12 }, (_, i) => req('chat', i)));
        await until('12 replies', () => allReplies(h).length === 12);
        assert.equal(most, 3);
        assert.ok(allReplies(h).every((r) => r.code === ErrorCode.Ok && r.payload?.length === 0));
      },
      { maxConcurrentWebhooks: 3 },
    ));

  test('bad requests are dropped without crashing; others still go through', () =>
    withCoord(async (h) => {
      await h.coordinator.upstream([{ ...req('chat', 1), seq: 'x' as never }, null as never, req('chat', 2)]);
      await until('a reply', () => h.rooms.replies.length === 1);
      assert.deepEqual(allReplies(h).map((r) => r.seq), [2]);
    }));
});

describe('upstream retries on the Redis queue', () => {
  test('a retry queued by one coordinator is finished by another', async () => {
    hooks.hits = [];
    hooks.answer = (_r, n) => (n === 1 ? { status: 500 } : { status: 200, body: { reply: 'second' } });
    const queue = createRedisQueue({ url: testRedisUrl(), prefix: uniquePrefix('coord'), pollMs: 10, log: recordingLogger() });
    const slow = { retryBaseMs: 300 };
    const a = await startCoordinator([app()], slow, queue);
    const b = await startCoordinator([app()], slow, queue);
    try {
      await a.coordinator.upstream([req('chat', 11)]);
      await until('the first call', () => hooks.hits.length === 1);
      await a.close(); // waits for the failed call and its queued retry
      await until('a reply through b', () => b.rooms.replies.length === 1, 5000);
      assert.equal(a.rooms.replies.length, 0);
      const [r] = allReplies(b);
      assert.equal(r.seq, 11);
      assert.equal(Buffer.from(r.payload!).toString(), '"second"');
      assert.equal(hooks.hits.length, 2);
    } finally {
      await a.close();
      await b.close();
      await queue.close();
    }
  });
});

describe('replyFromAnswer', () => {
  test('reply JSON, replyBase64, empty and non-JSON answers', () => {
    assert.equal(Buffer.from(replyFromAnswer(Buffer.from('{"reply":"hi"}')).payload).toString(), '"hi"');
    assert.deepEqual(replyFromAnswer(Buffer.from('')), { code: 0, message: '', payload: new Uint8Array(0) });
    assert.equal(replyFromAnswer(Buffer.from('<html>')).code, ErrorCode.Ok);
    assert.equal(replyFromAnswer(Buffer.from('{"replyBase64":"%%%"}')).code, ErrorCode.UpstreamFailed);
  });
});
