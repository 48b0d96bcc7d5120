import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, type Schema } from '../../shared/config/config';
import { roomNodeFlags } from '../../shared/lifecycle/node-flags';
import { repoRoot } from '../../shared/testing/service-process';
import { centerSchema } from '../center/config';
import { coordinatorSchema } from '../coordinator/config';
import { dispatcherSchema } from '../dispatcher/config';
import { registerSchema } from '../register/config';
import { loadRoomConfig } from '../room/config';
import { saverSchema } from '../saver/config';
import { readConfigFile } from '../standalone/config';

const deploy = join(repoRoot, 'deploy');

/** Process variables an env file may set besides its service's options. */
const processVariables = new Set(['HERALD_LOG_LEVEL', 'NODE_OPTIONS']);

/** KEY=value lines; # comments and blank lines skipped. */
function readEnvFile(name: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const line of readFileSync(join(deploy, name), 'utf8').split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    assert.ok(eq > 0, `${name}: not KEY=value: ${t}`);
    env[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return env;
}

const schemas: Record<string, Schema> = {
  center: centerSchema,
  coordinator: coordinatorSchema,
  dispatcher: dispatcherSchema,
  register: registerSchema,
  saver: saverSchema,
};

test('every deploy/<service>.env names only options of its service and loads without a config error', () => {
  const files = readdirSync(deploy).filter((f) => f.endsWith('.env'));
  assert.deepEqual(files.sort(), ['center.env', 'coordinator.env', 'dispatcher.env', 'register.env', 'room.env', 'saver.env']);
  for (const file of files) {
    const section = file.replace(/\.env$/, '');
    const env = readEnvFile(file);
    const prefix = `HERALD_${section.toUpperCase()}_`;
    for (const key of Object.keys(env)) {
      assert.ok(key.startsWith(prefix) || processVariables.has(key), `${file}: ${key} is not a ${section} option`);
    }
    const config: Record<string, unknown> = section === 'room' ? loadRoomConfig({}, env) : loadConfig(section, schemas[section], {}, env);
    const known = new Set(Object.keys(config).map((k) => `${prefix}${k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`));
    for (const key of Object.keys(env)) if (!processVariables.has(key)) assert.ok(known.has(key), `${file}: ${key} is no option of ${section}`);
    if ('driver' in config && section !== 'dispatcher') assert.notEqual(config.driver, 'memory', `${file}: a cluster config`);
  }
});

test('deploy/room.env gives rooms the node flags the cluster launcher and the bench use', () => {
  assert.deepEqual((readEnvFile('room.env').NODE_OPTIONS ?? '').trim().split(/\s+/), [...roomNodeFlags]);
});

test('deploy/standalone.json is a valid standalone config file', () => {
  const opts = readConfigFile(join(deploy, 'standalone.json'));
  assert.equal(opts.standalone?.driver, 'redis');
});
