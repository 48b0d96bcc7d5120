import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { signToken } from '../auth/jwt';
import { startFakeRoom, until } from './fake-room';

// Source runs (tsx) spawn the .ts files through tsx; compiled runs (dist/) spawn the .js.
const compiled = !__filename.endsWith('.ts');
const nodeArgs = compiled ? [] : ['--import', 'tsx'];
const ext = compiled ? '.js' : '.ts';

const token = signToken({ sub: 'd1', app: 'demo', exp: Math.floor(Date.now() / 1000) + 3600 }, 'secret');

function run(args: string[]) {
  const child = spawn(process.execPath, [...nodeArgs, join(__dirname, `cli${ext}`), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', code: null as number | null };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      out.code = code;
      resolve();
    }),
  );
  return { child, out, exited };
}

test('cli prints pushes as JSON lines, acks them (manual ack) and exits on SIGINT', async () => {
  const room = await startFakeRoom();
  const { child, out, exited } = run(['--url', room.url, '--token', token, '--manual-ack']);
  try {
    await until('connected', () => out.stderr.includes('"event":"connected"'), 10_000);
    room.conns[0].send({ push: { id: 'm1', app: 'demo', payload: Buffer.from('héllo'), kind: 3, topic: 'news', qos: 1 } });
    await until('ack', () => room.frames.some((f) => f.body === 'ack'));
    const line = JSON.parse(out.stdout.trim().split('\n')[0]) as Record<string, unknown>;
    assert.equal(line.id, 'm1');
    assert.equal(line.payload, 'héllo');
    assert.equal(line.kind, 'topic');
    assert.deepEqual(room.frames.find((f) => f.body === 'ack')!.ack!.ids, ['m1']);
    const killedAt = Date.now();
    child.kill('SIGINT');
    await exited;
    assert.equal(out.code, 0);
    // The CLI forces an exit after 2 s; an earlier exit means close() left nothing running.
    assert.ok(Date.now() - killedAt < 1500, 'exited by itself');
    assert.match(out.stderr, /"event":"closed"/);
  } finally {
    child.kill();
    await room.stop();
  }
});

test('cli explains bad arguments', async () => {
  const { out, exited } = run(['--token', token]);
  await exited;
  assert.equal(out.code, 2);
  assert.match(out.stderr, /--dispatch or --url is required/);
});
