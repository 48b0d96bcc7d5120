/**
 * The test run: starts a private redis-server and mariadbd (temp dirs, free ports), runs every
 * *.test.js under dist/ with node's test runner, then stops both. `--no-services` skips them.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startMariadb, startRedis, type TestServer } from '../shared/testing/test-services';

const root = join(__dirname, '..');

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const withServices = !args.includes('--no-services');
  const filters = args.filter((a) => !a.startsWith('--'));
  const dirs = ['services', 'shared', 'loadtest'].map((d) => join(root, d)).filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  });
  const files = dirs.flatMap((d) => findTests(d)).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
  if (files.length === 0) {
    process.stderr.write('test run: no test files found\n');
    return 1;
  }
  const servers: TestServer[] = [];
  const env = { ...process.env };
  try {
    if (withServices) {
      process.stdout.write('test run: starting private redis-server and mariadbd...\n');
      const [redis, mysql] = await Promise.all([startRedis(), startMariadb()]);
      servers.push(redis, mysql);
      env.HERALD_TEST_REDIS_URL = redis.url;
      env.HERALD_TEST_MYSQL_URL = mysql.url;
      process.stdout.write(`test run: redis ${redis.url} (pid ${redis.pid}), mariadb ${mysql.url} (pid ${mysql.pid})\n`);
    }
    process.stdout.write(`test run: ${files.length} files: ${files.map((f) => relative(root, f)).join(' ')}\n`);
    const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files], { stdio: 'inherit', env, cwd: root });
    return await new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 1 : 0))));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`test run failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
