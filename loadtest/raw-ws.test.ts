import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { encodeFrame, RawWs, WsState } from './raw-ws';

/** A server frame (unmasked) with the given opcode and fin bit. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const head = payload.length < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, payload.length]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 126, payload.length >> 8, payload.length & 255]);
  return Buffer.concat([head, payload]);
}

test('encodeFrame: masked with a zero key, lengths of 7, 16 and 64 bits', () => {
  const small = encodeFrame(2, Buffer.from('hi'));
  assert.deepEqual([...small], [0x82, 0x82, 0, 0, 0, 0, 0x68, 0x69]);
  const mid = encodeFrame(2, Buffer.alloc(300, 1));
  assert.deepEqual([mid[0], mid[1], mid.readUInt16BE(2), mid.length], [0x82, 0xfe, 300, 2 + 2 + 4 + 300]);
  const big = encodeFrame(2, Buffer.alloc(70_000, 1));
  assert.deepEqual([big[1], big.readUInt32BE(6), big.length], [0xff, 70_000, 2 + 8 + 4 + 70_000]);
});

test('RawWs: handshake, messages split across reads, fragments, ping, the server close code', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const got: string[] = [];
  let opened = false;
  const closed = new Promise<number>((resolve) => {
    const ws = new RawWs(new URL(`ws://127.0.0.1:${port}/ws`), undefined, {
      onOpen: () => (opened = true),
      onMessage: (d) => got.push(d.toString()),
      onError: (err) => got.push(`error ${err.message}`),
      onClose: resolve,
    });
    assert.equal(ws.readyState, WsState.Connecting);
  });
  const [sock] = await accepted;
  const [request] = (await once(sock, 'data')) as [Buffer];
  assert.match(request.toString(), /^GET \/ws HTTP\/1.1\r\n[\s\S]*Sec-WebSocket-Key: /);
  // The accept value for the client's key (RFC 6455 4.2.2).
  const key = /Sec-WebSocket-Key: (\S+)/.exec(request.toString())![1];
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  const reply = Buffer.concat([
    Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`),
    serverFrame(2, Buffer.from('one')),
  ]);
  const two = serverFrame(2, Buffer.from('two'));
  sock.write(Buffer.concat([reply, two.subarray(0, 2)]));
  await new Promise((r) => setTimeout(r, 20));
  const pong = once(sock, 'data') as Promise<[Buffer]>;
  sock.write(Buffer.concat([two.subarray(2), serverFrame(2, Buffer.from('thr'), false), serverFrame(0, Buffer.from('ee')), serverFrame(9, Buffer.from('p'))]));
  const [pongFrame] = await pong;
  assert.equal(pongFrame[0], 0x8a, 'a ping is answered with a pong');
  sock.write(serverFrame(8, Buffer.from([0x0f, 0xa0])));
  assert.equal(await closed, 4000, 'the close code the server sent');
  assert.ok(opened);
  assert.deepEqual(got, ['one', 'two', 'three']);
  server.close();
});
