import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RegisterService } from '../../shared/contracts/register';
import type { SaverService } from '../../shared/contracts/saver';
import { ADMIN, APP1, type Harness, type HarnessOptions, startCenter, until } from './test-kit';

async function withCenter(fn: (h: Harness) => Promise<void>, opts?: HarnessOptions): Promise<void> {
  const h = await startCenter(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const push = (over: Record<string, unknown>): Record<string, unknown> => ({ to: { devices: ['d1'] }, payload: 1, ...over });

describe('center: push validation', () => {
  const cases: [string, unknown, number, string][] = [
    ['not an object', [1], 400, 'bad_request'],
    ['a string body', '"hi"', 400, 'bad_request'],
    ['unknown field', push({ color: 'red' }), 400, 'bad_request'],
    ['missing to', { payload: 1 }, 400, 'bad_target'],
    ['to not an object', push({ to: ['d1'] }), 400, 'bad_target'],
    ['to empty object', push({ to: {} }), 400, 'bad_target'],
    ['to both devices and users', push({ to: { devices: ['a'], users: ['b'] } }), 400, 'bad_target'],
    ['devices not a list', push({ to: { devices: 'd1' } }), 400, 'bad_target'],
    ['empty devices', push({ to: { devices: [] } }), 400, 'bad_target'],
    ['empty users', push({ to: { users: [] } }), 400, 'bad_target'],
    ['non-string id', push({ to: { devices: ['a', 7] } }), 400, 'bad_target'],
    ['empty id', push({ to: { users: [''] } }), 400, 'bad_target'],
    ['id over 128 chars', push({ to: { devices: ['x'.repeat(129)] } }), 400, 'bad_target'],
    ['too many targets', push({ to: { devices: ['a', 'b', 'c', 'd'] } }), 400, 'too_many_targets'],
    ['no payload', { to: { devices: ['d1'] } }, 400, 'bad_payload'],
    ['both payloads', push({ payloadBase64: 'AA==' }), 400, 'bad_payload'],
    ['bad base64', { to: { devices: ['d1'] }, payloadBase64: 'not base64!' }, 400, 'bad_payload'],
    ['unpadded base64', { to: { devices: ['d1'] }, payloadBase64: 'AAA' }, 400, 'bad_payload'],
    ['base64 not a string', { to: { devices: ['d1'] }, payloadBase64: 12 }, 400, 'bad_payload'],
    ['json payload too large', push({ payload: 'x'.repeat(40) }), 413, 'payload_too_large'],
    ['base64 payload too large', { to: { devices: ['d1'] }, payloadBase64: Buffer.alloc(33).toString('base64') }, 413, 'payload_too_large'],
    ['negative ttl', push({ ttl: -1 }), 400, 'bad_ttl'],
    ['fractional ttl', push({ ttl: 1.5 }), 400, 'bad_ttl'],
    ['ttl over max', push({ ttl: 3601 }), 400, 'bad_ttl'],
    ['string ttl', push({ ttl: '60' }), 400, 'bad_ttl'],
    ['qos 2', push({ qos: 2 }), 400, 'bad_qos'],
    ['qos string', push({ qos: '1' }), 400, 'bad_qos'],
    ['bad tag mode', push({ to: { tags: ['a'], mode: 'any' } }), 400, 'bad_target'],
    ['mode without tags', push({ to: { topic: 'news', mode: 'or' } }), 400, 'bad_target'],
    ['empty tags', push({ to: { tags: [] } }), 400, 'bad_target'],
    ['65 tags', push({ to: { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) } }), 400, 'bad_target'],
    ['tag over 128 chars', push({ to: { tags: ['t'.repeat(129)] } }), 400, 'bad_target'],
    ['tags and topic', push({ to: { tags: ['a'], topic: 'news' } }), 400, 'bad_target'],
    ['empty topic', push({ to: { topic: '' } }), 400, 'bad_target'],
    ['topic over 128 chars', push({ to: { topic: 'n'.repeat(129) } }), 400, 'bad_target'],
    ['topic not a string', push({ to: { topic: 5 } }), 400, 'bad_target'],
    ['all false', push({ to: { all: false } }), 400, 'bad_target'],
    ['all and devices', push({ to: { all: true, devices: ['d1'] } }), 400, 'bad_target'],
    ['rate on a device push', push({ rate: 10 }), 400, 'bad_rate'],
    ['rate 0', push({ to: { all: true }, rate: 0 }), 400, 'bad_rate'],
    ['rate too high', push({ to: { all: true }, rate: 100_001 }), 400, 'bad_rate'],
    ['fractional rate', push({ to: { topic: 'n' }, rate: 1.5 }), 400, 'bad_rate'],
    ['sendAt in the past', push({ sendAt: 1 }), 400, 'bad_send_at'],
    ['sendAt now-ish', push({ sendAt: new Date(Date.now() - 1000).toISOString() }), 400, 'bad_send_at'],
    ['sendAt over 30 days', push({ sendAt: Date.now() + 31 * 86_400_000 }), 400, 'bad_send_at'],
    ['sendAt without a zone', push({ sendAt: '2099-01-01T00:00:00' }), 400, 'bad_send_at'],
    ['sendAt junk', push({ sendAt: 'tomorrow' }), 400, 'bad_send_at'],
    ['sendAt impossible date', push({ sendAt: '2030-02-31T00:00:00Z' }), 400, 'bad_send_at'],
    ['sendAt fractional', push({ sendAt: Date.now() + 60_000.5 }), 400, 'bad_send_at'],
  ];

  test('every bad request gets its status and code, and nothing is stored or sent', () =>
    withCenter(
      async (h) => {
        await h.sessions.register([{ app: 'app1', device: 'd1', roomId: 'r1', connId: 'c1', since: 1 }]);
        for (const [name, body, status, code] of cases) {
          const res = await h.call('POST', '/v1/apps/app1/messages', body);
          assert.equal(res.status, status, name);
          assert.equal(res.body.error.code, code, name);
          assert.equal(typeof res.body.error.message, 'string', name);
        }
        const broken = await h.call('POST', '/v1/apps/app1/messages', '{"to": ');
        assert.equal(broken.status, 400);
        assert.equal(broken.body.error.code, 'bad_json');
        assert.match((await h.call('POST', '/v1/apps/app1/messages', push({ sendAt: 'tomorrow' }))).body.error.message, /ISO-8601/);
        assert.equal((await h.queue.stats()).reduce((n, t) => n + t.messages + t.deferred, 0), 0, 'nothing queued');
        assert.deepEqual(await h.saver.pending('app1', 'd1'), []);
        assert.equal(h.rooms.batches.length, 0);
        // The limits are inclusive.
        const edge = { to: { devices: ['a', 'b', 'c'] }, payloadBase64: Buffer.alloc(32).toString('base64'), ttl: 3600 };
        assert.equal((await h.call('POST', '/v1/apps/app1/messages', edge)).status, 202);
        assert.equal((await h.call('POST', '/v1/apps/app1/messages', push({ to: { devices: ['x'.repeat(128)] } }))).status, 202);
      },
      { config: { maxTargets: 3, maxPayloadBytes: 32, maxTtlSeconds: 3600, defaultTtlSeconds: 600 } },
    ));

  test('a default ttl above the max ttl is refused at creation', async () => {
    await assert.rejects(startCenter({ config: { defaultTtlSeconds: 10, maxTtlSeconds: 5 } }), /center.defaultTtlSeconds/);
  });
});

describe('center: failing dependencies', () => {
  const rejectingSaver = (real: SaverService): SaverService => ({
    ...real,
    store: async () => {
      throw new Error('mysql: connection is closed');
    },
  });

  test('a saver that rejects: 503, nothing sent', () =>
    withCenter(
      async (h) => {
        await h.sessions.register([{ app: 'app1', device: 'd1', roomId: 'r1', connId: 'c1', since: 1 }]);
        const res = await h.call('POST', '/v1/apps/app1/messages', push({}));
        assert.equal(res.status, 503);
        assert.equal(res.body.error.code, 'unavailable');
        assert.match(res.body.error.message, /could not store the message, nothing was sent: mysql: connection is closed/);
        await new Promise((r) => setTimeout(r, 30));
        assert.equal(h.rooms.batches.length, 0);
        assert.deepEqual(await h.saver.pending('app1', 'd1'), []);
        assert.ok(h.logs.some((l) => l.level === 'error' && l.msg === 'store failed'));
        // The service keeps answering.
        assert.equal((await h.call('GET', '/v1/apps/app1/devices/d1')).body.online, true);
      },
      { saver: rejectingSaver },
    ));

  test('a register that rejects on user lookup: 503, nothing stored', () =>
    withCenter(
      async (h) => {
        const res = await h.call('POST', '/v1/apps/app1/messages', push({ to: { users: ['u1'] } }));
        assert.equal(res.status, 503);
        assert.equal(res.body.error.code, 'unavailable');
        assert.equal((await h.call('GET', '/v1/apps/app1/users/u1')).status, 503);
      },
      {
        register: (real): RegisterService => ({
          ...real,
          userDevices: async () => {
            throw new Error('redis down');
          },
        }),
      },
    ));

  test('a queue that rejects: 503 saying what was done; an unqueued scheduled push is cancelled', () =>
    withCenter(
      async (h) => {
        const b = await h.call('POST', '/v1/apps/app1/messages', push({ to: { all: true } }));
        assert.equal(b.status, 503);
        assert.match(b.body.error.message, /stored in the log but could not queue the online fan-out.*queue down/);
        assert.equal((await h.saver.logSince('app1', 'd', [''])).length, 1, 'offline devices still get it');
        const q0 = await h.call('POST', '/v1/apps/app1/messages', push({ to: { topic: 't' }, qos: 0 }));
        assert.match(q0.body.error.message, /nothing was sent/);
        const s = await h.call('POST', '/v1/apps/app1/messages', push({ sendAt: Date.now() + 60_000 }));
        assert.equal(s.status, 503);
        assert.match(s.body.error.message, /could not queue the scheduled push, it will not be sent/);
        const id = h.logs.find((l) => l.msg === 'schedule failed')?.fields?.id as string;
        assert.equal((await h.saver.status('app1', id))?.state, 'cancelled');
        assert.match((await h.call('GET', '/metrics')).body, /herald_center_push_errors_total\{stage="queue"\} 3/);
      },
      {
        queue: (real) => ({
          ...real,
          publish: async () => {
            throw new Error('queue down');
          },
          publishDeferred: async () => {
            throw new Error('queue down');
          },
        }),
      },
    ));

  test('a room missing from the directory or failing: its devices stay pending, others are delivered', () =>
    withCenter(async (h) => {
      await h.sessions.register([
        { app: 'app1', device: 'a', roomId: 'r1', connId: 'ca', since: 1 },
        { app: 'app1', device: 'b', roomId: 'gone', connId: 'cb', since: 1 },
        { app: 'app1', device: 'c', roomId: 'r2', connId: 'cc', since: 1 },
      ]);
      h.rooms.failing.add('r2');
      const res = await h.call('POST', '/v1/apps/app1/messages', push({ to: { devices: ['a', 'b', 'c'] } }));
      assert.equal(res.status, 202);
      await until('failures logged', () => h.logs.filter((l) => l.level !== 'info').length === 2);
      assert.deepEqual(h.rooms.batches.map((b) => b.roomId), ['r1']);
      assert.ok(h.logs.some((l) => l.msg === 'room not in the directory' && l.fields?.room === 'gone'));
      assert.ok(h.logs.some((l) => l.msg === 'room deliver failed' && l.fields?.room === 'r2'));
      for (const d of ['b', 'c']) assert.equal((await h.saver.pending('app1', d)).length, 1);
      const m = await h.call('GET', '/metrics');
      assert.match(m.body, /herald_center_send_errors_total\{stage="no_room"\} 1/);
      assert.match(m.body, /herald_center_send_errors_total\{stage="deliver"\} 1/);
    }));
});

describe('center: background sends', () => {
  test('a failed session lookup skips its batch only; the message stays pending there', () => {
    let calls = 0;
    return withCenter(
      async (h) => {
        await h.sessions.register(['a', 'b'].map((d) => ({ app: 'app1', device: d, roomId: 'r1', connId: `c${d}`, since: 1 })));
        const res = await h.call('POST', '/v1/apps/app1/messages', push({ to: { devices: ['a', 'b'] } }));
        assert.equal(res.status, 202);
        await until('one batch', () => h.rooms.batches.length === 1);
        await until('the failure logged', () => h.logs.some((l) => l.msg === 'session lookup failed'));
        assert.deepEqual(h.rooms.batches[0].batch.map((d) => d.device), ['b']);
        assert.equal((await h.saver.pending('app1', 'a')).length, 1);
        assert.match((await h.call('GET', '/metrics')).body, /herald_center_send_errors_total\{stage="lookup"\} 1/);
      },
      {
        config: { lookupBatch: 1 },
        register: (real): RegisterService => ({
          ...real,
          lookupDevices: async (app, devices) => {
            if (calls++ === 0) throw new Error('redis timeout');
            return real.lookupDevices(app, devices);
          },
        }),
      },
    );
  });

  test('stop() waits for sends in progress', async () => {
    const h = await startCenter();
    try {
      await h.sessions.register([{ app: 'app1', device: 'a', roomId: 'r1', connId: 'ca', since: 1 }]);
      h.rooms.delayMs = 150;
      assert.equal((await h.call('POST', '/v1/apps/app1/messages', push({ to: { devices: ['a'] } }))).status, 202);
      await h.center.stop();
      assert.equal(h.rooms.batches.length, 1);
    } finally {
      await h.close();
    }
  });
});

describe('center: admin API', () => {
  test('disabled without an admin token', () =>
    withCenter(
      async (h) => {
        const res = await h.call('GET', '/v1/admin/apps', undefined, 'anything');
        assert.equal(res.status, 403);
        assert.equal(res.body.error.code, 'disabled');
        assert.equal((await h.call('POST', '/v1/apps/app1/messages', push({}), '')).status, 401);
      },
      { config: { adminToken: '' } },
    ));

  test('list (redacted), create (secret and key once), get, errors', () =>
    withCenter(async (h) => {
      assert.equal((await h.call('GET', '/v1/admin/apps', undefined, APP1.apiKeys[0])).status, 401);
      assert.equal((await h.call('GET', '/v1/admin/apps', undefined, '')).status, 401);
      const list = await h.call('GET', '/v1/admin/apps', undefined, ADMIN);
      assert.deepEqual(list.body.apps.map((a: { id: string }) => a.id), ['app1', 'app2']);
      assert.ok(!JSON.stringify(list.body).includes(APP1.secret));
      assert.ok(!JSON.stringify(list.body).includes(APP1.apiKeys[0]));
      const created = await h.call('POST', '/v1/admin/apps', { id: 'app3', name: 'Three', singleLogin: true }, ADMIN);
      assert.equal(created.status, 201);
      const app = created.body.app;
      assert.equal(app.id, 'app3');
      assert.equal(app.singleLogin, true);
      assert.ok(app.secret.length >= 32);
      assert.equal(app.apiKeys.length, 1);
      const pushed = await h.call('POST', '/v1/apps/app3/messages', push({}), app.apiKeys[0]);
      assert.equal(pushed.status, 202);
      const one = await h.call('GET', '/v1/admin/apps/app3', undefined, ADMIN);
      assert.equal(one.body.app.name, 'Three');
      assert.equal(one.body.app.secret, '(redacted)');
      assert.ok(!JSON.stringify(one.body).includes(app.secret));
      assert.equal((await h.call('GET', '/v1/admin/apps/nope', undefined, ADMIN)).body.error.code, 'unknown_app');
      const given = await h.call('POST', '/v1/admin/apps', { id: 'app4', name: 'Four', secret: 's'.repeat(20), apiKeys: ['k'.repeat(20)] }, ADMIN);
      assert.equal(given.body.app.secret, 's'.repeat(20));
      for (const [body, status, code] of [
        [{ id: 'app3', name: 'Again' }, 409, 'app_exists'],
        [{ id: 'app5', name: 'Five', apiKeys: [APP1.apiKeys[0]] }, 409, 'key_in_use'],
        [{ id: 'bad id', name: 'x' }, 400, 'bad_app'],
        [{ id: 'app6' }, 400, 'bad_app'],
        [{ id: 'app6', name: 'x', secret: 'short' }, 400, 'bad_app'],
        [{ id: 'app6', name: 'x', extra: 1 }, 400, 'bad_app'],
        ['[]', 400, 'bad_request'],
      ] as const) {
        const res = await h.call('POST', '/v1/admin/apps', body, ADMIN);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.body.error.code, code, JSON.stringify(body));
      }
      assert.equal((await h.call('GET', '/v1/admin/apps', undefined, ADMIN)).body.apps.length, 4);
    }));
});
