import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AppError, loadAppsFile, validateApp } from './apps-file';

const dir = mkdtempSync(join(tmpdir(), 'herald-apps-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: unknown): string {
  const p = join(dir, `apps-${n++}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

const good = { id: 'demo', name: 'Demo', secret: 'demo-secret-0123456789', apiKeys: ['demo-key-0123456789'] };

describe('loadAppsFile', () => {
  test('reads a valid file', () => {
    const apps = loadAppsFile(file({ apps: [good, { ...good, id: 'two', apiKeys: ['two-key-0123456789'], singleLogin: true }] }));
    assert.equal(apps.length, 2);
    assert.deepEqual(apps[0], good);
    assert.equal(apps[1].singleLogin, true);
    assert.deepEqual(loadAppsFile(file({ apps: [] })), []);
  });

  test('errors name the file and the bad entry', () => {
    const cases: [unknown, RegExp][] = [
      ['{nope', /apps-\d+\.json: not valid JSON/],
      [[], /must be an object with an "apps" list/],
      [{ apps: {} }, /apps: must be a list/],
      [{ apps: [good, 5] }, /apps\[1\]: must be an object/],
      [{ apps: [{ ...good, id: 'bad id' }] }, /apps\[0\]\.id: must be 1-64/],
      [{ apps: [{ ...good, name: '' }] }, /apps\[0\] \(demo\)\.name/],
      [{ apps: [{ ...good, secret: 'short' }] }, /apps\[0\] \(demo\)\.secret/],
      [{ apps: [{ ...good, apiKeys: [] }] }, /apps\[0\] \(demo\)\.apiKeys: must be a non-empty list/],
      [{ apps: [{ ...good, apiKeys: ['demo-key-0123456789', 7] }] }, /apiKeys\[1\]/],
      [{ apps: [{ ...good, apiKeys: ['demo-key-0123456789', 'demo-key-0123456789'] }] }, /apiKeys: has duplicates/],
      [{ apps: [{ ...good, singleLogin: 'yes' }] }, /singleLogin: must be true or false/],
      [{ apps: [{ ...good, webhook: 'x' }] }, /apps\[0\]: unknown field "webhook"/],
      [{ apps: [{ ...good, routes: [] }] }, /apps\[0\] \(demo\)\.routes: must be an object/],
      [{ apps: [{ ...good, routes: { chat: 'ftp://x/y' } }] }, /routes\.chat: must be an http or https URL/],
      [{ apps: [{ ...good, routes: { chat: 'not a url' } }] }, /routes\.chat: "not a url" is not a valid URL/],
      [{ apps: [{ ...good, routes: { 'bad type': 'http://x/' } }] }, /routes: type "bad type" must be/],
      [{ apps: [{ ...good, routes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`t${i}`, 'http://x/'])) }] }, /at most 64 routes/],
      [{ apps: [{ ...good, statusUrl: 5 }] }, /statusUrl: must be an http\(s\) URL/],
      [{ apps: [good, { ...good, apiKeys: ['other-key-0123456789'] }] }, /apps\[1\]\.id: demo is already used by .*apps\[0\]/],
      [{ apps: [good, { ...good, id: 'other' }] }, /apps\[1\] \(other\)\.apiKeys: a key is also used by app demo/],
    ];
    for (const [content, re] of cases) {
      const p = file(content);
      assert.throws(() => loadAppsFile(p), (err: Error) => err instanceof AppError && re.test(err.message) && err.message.startsWith(p), JSON.stringify(content));
    }
    assert.throws(() => loadAppsFile(join(dir, 'missing.json')), /missing\.json: cannot read apps file/);
  });

  test('validateApp keeps routes and statusUrl; a route type "__proto__" stays an own key', () => {
    const app = validateApp({ ...good, routes: { chat: 'https://a.test/chat', 'x.y': 'http://b.test:81/' }, statusUrl: 'https://a.test/s' }, 'x');
    assert.deepEqual(app.routes, { chat: 'https://a.test/chat', 'x.y': 'http://b.test:81/' });
    assert.equal(app.statusUrl, 'https://a.test/s');
    const odd = validateApp(JSON.parse(`{"id":"a","name":"n","secret":"${good.secret}","apiKeys":["${good.apiKeys[0]}"],"routes":{"__proto__":"http://x.test/"}}`), 'x');
    assert.equal(Object.getPrototypeOf(odd.routes), Object.prototype);
    assert.equal(Object.hasOwn(odd.routes!, '__proto__'), true);
  });

  test('validateApp leaves singleLogin out when not given', () => {
    assert.equal('singleLogin' in validateApp(good, 'x'), false);
  });
});
