import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../shared/config/config';
import { createLogger } from '../../shared/log/log';
import { createRegistry } from '../../shared/metrics/metrics';
import { testRedisUrl, uniquePrefix } from '../../shared/testing/env';
import { deleteKeysWithPrefix } from '../../shared/testing/redis-wipe';
import { registerSchema, type RegisterConfig } from './config';
import { createRegister } from './register';

const log = createLogger({}, 'error');
const session = { app: 'a', device: 'd1', connId: 'c1', roomId: 'r1', since: 1 };

async function roundTrip(config: RegisterConfig): Promise<string> {
  const metrics = createRegistry();
  const reg = createRegister(config, { log, metrics });
  await assert.rejects(reg.lookupDevices('a', ['d1']), /not running/);
  await reg.start();
  try {
    await reg.register([session]);
    assert.deepEqual(await reg.lookupDevices('a', ['d1']), [session]);
    await assert.rejects(reg.register([{ ...session, device: '' }]), /device/);
  } finally {
    await reg.stop();
    await reg.stop();
  }
  await assert.rejects(reg.lookupDevices('a', ['d1']), /not running/);
  return metrics.metrics();
}

test('register (memory) starts, serves, counts ops and stops twice', async () => {
  const text = await roundTrip(loadConfig('register', registerSchema, {}, {}));
  assert.match(text, /herald_register_ops_total\{op="register",result="ok"\} 1/);
  assert.match(text, /herald_register_ops_total\{op="register",result="error"\} 1/);
  assert.match(text, /herald_register_items_total\{op="lookupDevices"\} 1/);
});

test('register (redis) starts and stops', async () => {
  const config = loadConfig('register', registerSchema, { driver: 'redis', redisUrl: testRedisUrl(), prefix: uniquePrefix('reg') }, {});
  assert.match(await roundTrip(config), /op="lookupDevices",result="ok"\} 1/);
});

test('register start fails clearly when Redis does not answer, and stop still works', async () => {
  const config = loadConfig('register', registerSchema, { driver: 'redis', redisUrl: 'redis://127.0.0.1:1', startTimeoutMs: 300 }, {});
  const reg = createRegister(config, { log, metrics: createRegistry() });
  await assert.rejects(reg.start(), /redis session store did not answer/);
  await reg.stop();
});

test('register config: env overrides and bad values name the option', () => {
  const c = loadConfig('register', registerSchema, {}, { HERALD_REGISTER_DRIVER: 'redis', HERALD_REGISTER_SESSION_TTL_SECONDS: '60' });
  assert.equal(c.driver, 'redis');
  assert.equal(c.sessionTtlSeconds, 60);
  assert.throws(() => loadConfig('register', registerSchema, {}, { HERALD_REGISTER_DRIVER: 'mongo' }), /register\.driver: must be one of/);
});

test('register passes tags and subscriptions through and counts them', async () => {
  const metrics = createRegistry();
  const reg = createRegister(loadConfig('register', registerSchema, {}, {}), { log, metrics });
  await reg.start();
  try {
    await reg.setTags('a', 'd1', ['vip', 'beta']);
    await reg.setTags('a', 'd2', ['vip']);
    assert.deepEqual(await reg.tagsOf('a', 'd1'), ['beta', 'vip']);
    assert.deepEqual(await reg.devicesByTags('a', ['vip', 'beta'], 'and', '', 10), { devices: ['d1'], cursor: '' });
    assert.deepEqual((await reg.devicesByTags('a', ['vip', 'beta'], 'or', '', 10)).devices.sort(), ['d1', 'd2']);
    await reg.subscribe('a', 'd1', ['news']);
    assert.deepEqual(await reg.subscriptions('a', 'd1'), ['news']);
    assert.deepEqual(await reg.subscribers('a', 'news', '', 10), { devices: ['d1'], cursor: '' });
    await reg.unsubscribe('a', 'd1', ['news']);
    assert.deepEqual(await reg.subscriptions('a', 'd1'), []);
    await assert.rejects(reg.setTags('a', 'd1', ['']), /tags\[0\]/);
  } finally {
    await reg.stop();
  }
  await assert.rejects(reg.tagsOf('a', 'd1'), /not running/);
  const text = await metrics.metrics();
  assert.match(text, /herald_register_ops_total\{op="setTags",result="ok"\} 2/);
  assert.match(text, /herald_register_ops_total\{op="setTags",result="error"\} 1/);
  assert.match(text, /herald_register_items_total\{op="setTags"\} 3/);
  assert.match(text, /herald_register_ops_total\{op="subscribers",result="ok"\} 1/);
  assert.match(text, /herald_register_op_seconds_count\{op="devicesByTags"\} 2/);
});

test('register (redis) answers replaced sessions and notices a lost store by its epoch', async () => {
  const prefix = uniquePrefix('reg');
  const metrics = createRegistry();
  const reg = createRegister(loadConfig('register', registerSchema, { driver: 'redis', redisUrl: testRedisUrl(), prefix }, {}), { log, metrics });
  await reg.start();
  try {
    const e1 = await reg.epoch();
    assert.deepEqual(await reg.register([session]), []);
    assert.deepEqual(await reg.register([{ ...session, connId: 'c2', roomId: 'r2' }]), [session]);
    assert.equal(await reg.epoch(), e1);
    await deleteKeysWithPrefix(testRedisUrl(), prefix);
    assert.notEqual(await reg.epoch(), e1);
    assert.deepEqual(await reg.lookupDevices('a', ['d1']), []);
  } finally {
    await reg.stop();
  }
  const text = await metrics.metrics();
  assert.match(text, /herald_register_epoch_changes_total 1/);
  assert.match(text, /herald_register_replaced_total 1/);
});
