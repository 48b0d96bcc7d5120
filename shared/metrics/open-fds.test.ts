import assert from 'node:assert/strict';
import fs, { closeSync, openSync } from 'node:fs';
import { test } from 'node:test';
import { createRegistry } from './metrics';

const openFds = (text: string): number[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('herald_process_open_fds'))
    .map((l) => Number(l.split(' ')[1]));

/** Scrapes with readdirSync watched: answers the scrape and the directories it listed synchronously. */
async function scrapeWatched(registry: ReturnType<typeof createRegistry>): Promise<{ text: string; listedSync: string[] }> {
  const original = fs.readdirSync;
  const listedSync: string[] = [];
  fs.readdirSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    listedSync.push(String(path));
    return (original as (...a: unknown[]) => unknown)(path, ...rest);
  }) as typeof fs.readdirSync;
  try {
    return { text: await registry.metrics(), listedSync };
  } finally {
    fs.readdirSync = original;
  }
}

test('process_open_fds counts the descriptors the process holds, without listing them on the event loop', { skip: process.platform !== 'linux' }, async () => {
  const registry = createRegistry(true);
  const first = await scrapeWatched(registry);
  assert.deepEqual(first.listedSync, [], 'no readdirSync during a scrape (it blocks a room with 15,000 sockets for ~20 ms)');
  const before = openFds(first.text);
  assert.equal(before.length, 1, "one series of that name, not prom-client's as well");
  assert.ok(before[0] > 2, `some descriptors are open (${before[0]})`);
  const fds = Array.from({ length: 40 }, () => openSync('/dev/null', 'r'));
  try {
    assert.equal(openFds(await registry.metrics())[0] - before[0], 40, 'forty more once forty are opened');
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
  assert.equal(openFds(await registry.metrics())[0], before[0]);
});
