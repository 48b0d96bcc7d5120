import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cHeapAfterFree, onGlibc } from '../testing/c-heap-child';
import { mallocTrim, mallocTrimAvailable } from './malloc-trim';

const MB = 1024 * 1024;

test('the malloc_trim addon was built at install (Linux with glibc)', { skip: !onGlibc() }, () => {
  assert.equal(mallocTrimAvailable(), true, 'native/malloc-trim did not build: npm install needs python3, make and a C compiler for it');
  assert.equal(typeof mallocTrim(), 'boolean');
});

test('mallocTrim gives back C-heap pages that free() kept: a child frees 128 MB of buffers pinned by a few', { skip: !onGlibc() }, () => {
  const r = cHeapAfterFree(`if (require(${JSON.stringify(require.resolve('./malloc-trim'))}).mallocTrim() !== true) throw new Error('nothing released');`);
  assert.ok(r.freed - r.after > 64 * MB, `RSS fell by ${((r.freed - r.after) / MB).toFixed(0)} MB after the trim (from ${(r.freed / MB).toFixed(0)} MB)`);
});
