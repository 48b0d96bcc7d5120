import assert from 'node:assert/strict';
import { test } from 'node:test';
import { responseLength } from './http-conn';

test('responseLength: Content-Length, chunked, partial and unreadable responses', () => {
  const cl = Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello');
  assert.equal(responseLength(cl), cl.length);
  assert.equal(responseLength(cl.subarray(0, cl.length - 1)), 0);
  const chunked = Buffer.from('HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
  assert.equal(responseLength(chunked), chunked.length);
  assert.equal(responseLength(Buffer.concat([chunked, Buffer.from('HTTP/1.1')])), chunked.length, 'stops at the end of the first response');
  assert.equal(responseLength(chunked.subarray(0, chunked.length - 3)), 0);
  assert.equal(responseLength(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), -1, 'no length and not chunked: unreadable');
  assert.equal(responseLength(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')), 'HTTP/1.1 204 No Content\r\n\r\n'.length);
});
