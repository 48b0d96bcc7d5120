import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signToken } from '../../shared/auth/jwt';
import { createMemoryAppStore } from '../../shared/apps/memory-app-store';
import { ErrorCode } from '../../shared/protocol/codes';
import { checkToken, checkTokens, negotiateHeartbeat, networkName } from './auth';
import { loadRoomConfig } from './config';

const apps = createMemoryAppStore([{ id: 'a', name: 'A', secret: 's', apiKeys: [] }]);
const exp = (): number => Math.floor(Date.now() / 1000) + 60;

test('checkToken: ok, bad signature, expired, unknown app, junk', async () => {
  const ok = await checkToken(apps, signToken({ sub: 'd', app: 'a', uid: 'u', exp: exp() }, 's'));
  assert.deepEqual(ok, { ok: true, binding: { app: 'a', device: 'd', user: 'u' } });
  const cases: [unknown, number][] = [
    [signToken({ sub: 'd', app: 'a', exp: exp() }, 'wrong'), ErrorCode.BadToken],
    [signToken({ sub: 'd', app: 'a', exp: 1 }, 's'), ErrorCode.TokenExpired],
    [signToken({ sub: 'd', app: 'zz', exp: exp() }, 's'), ErrorCode.UnknownApp],
    ['a.b.c', ErrorCode.BadToken],
    ['', ErrorCode.BadToken],
    [42, ErrorCode.BadToken],
    ['x'.repeat(10_000), ErrorCode.BadToken],
  ];
  for (const [token, code] of cases) {
    const r = await checkToken(apps, token);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, code, `token ${String(token).slice(0, 20)}`);
  }
});

test('checkTokens keeps one binding per app and fails on the first refusal', async () => {
  const t1 = signToken({ sub: 'd1', app: 'a', exp: exp() }, 's');
  const t2 = signToken({ sub: 'd2', app: 'a', exp: exp() }, 's');
  assert.deepEqual(await checkTokens(apps, [t1, t2]), { bindings: [{ app: 'a', device: 'd2', user: undefined }] });
  const bad = await checkTokens(apps, [t1, 'nope']);
  assert.ok('code' in bad && bad.code === ErrorCode.BadToken);
});

test('heartbeat per network within [min, max]', () => {
  const config = loadRoomConfig({ heartbeatMinSeconds: 70, heartbeatMaxSeconds: 120 }, {});
  assert.equal(negotiateHeartbeat(config, 'wifi'), 70);
  assert.equal(negotiateHeartbeat(config, 'cellular'), 120);
  assert.equal(negotiateHeartbeat(config, 'unknown'), 90);
  assert.equal(networkName(3), 'ethernet');
  assert.equal(networkName(99), 'unknown');
});
