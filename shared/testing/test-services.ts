import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private server started for a test run. */
export interface TestServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function which(bin: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}

/** Finds a binary, installing its Debian package with apt-get when it is missing. */
export function ensureBinary(bin: string, aptPackage: string): string {
  const found = which(bin);
  if (found) return found;
  if (!which('apt-get')) {
    throw new Error(`${bin} is not installed and apt-get is not available: install ${aptPackage} (Redis 6+ / MariaDB 10.5+) and retry`);
  }
  process.stderr.write(`test services: installing ${aptPackage} with apt-get...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', aptPackage], { stdio: 'inherit', env });
  const after = which(bin);
  if (r.status !== 0 || !after) throw new Error(`could not install ${aptPackage}: install it by hand and retry`);
  return after;
}

async function waitFor(what: string, child: ChildProcess, probe: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${ms} ms`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = require('node:net').connect(port, '127.0.0.1') as import('node:net').Socket;
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Starts a private redis-server in a temp dir on a free port; nothing kept on disk. */
export async function startRedis(): Promise<TestServer> {
  const bin = ensureBinary('redis-server', 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, 'redis.log')], {
    stdio: 'ignore',
  });
  await waitFor('redis-server', child, () => portOpen(port), 15_000);
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid!, stop: stopper(child, dir) };
}

/** Starts a private mariadbd in a temp dir on a free port (no grant tables: tests only). */
export async function startMariadb(): Promise<TestServer> {
  const bin = ensureBinary('mariadbd', 'mariadb-server');
  const installDb = which('mariadb-install-db') ?? which('mysql_install_db');
  if (!installDb) throw new Error('mariadb-install-db is missing: install mariadb-server');
  const dir = mkdtempSync(join(tmpdir(), 'herald-mariadb-'));
  const data = join(dir, 'data');
  const init = spawnSync(installDb, ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], {
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const args = [
    '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`, '--user=root', '--skip-grant-tables', '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=16M', '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=500', `--log-error=${join(dir, 'error.log')}`,
  ];
  const child = spawn(bin, args, { stdio: 'ignore' });
  await waitFor('mariadbd', child, () => portOpen(port), 60_000);
  return { url: `mysql://root@127.0.0.1:${port}`, port, pid: child.pid!, stop: stopper(child, dir) };
}
