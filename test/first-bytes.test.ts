/**
 * The first-bytes classifier: which protocol a new connection speaks (native
 * preamble, the probe preamble, a Python one-shot CBOR map, or none), read from
 * a real Unix socket whatever way the bytes are split across writes.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { encode } from 'cbor-x';
import { classifyFirstBytes, sniffProtocol, type Protocol } from '../src/server/first-bytes.js';
import { PREAMBLE, PROBE_PREAMBLE } from '../src/protocol/frame.js';
import { socketDir } from './helpers/temp-dir.js';

const ONE_SHOT = Buffer.from(encode({ args: [1, 2], kwargs: {} }));
const CASES: [string, Buffer, Protocol][] = [
  ['native preamble', PREAMBLE, 'native'],
  ['native preamble, unknown version (checked later)', Buffer.from('LIP\x09'), 'native'],
  ['probe preamble', PROBE_PREAMBLE, 'probe'],
  ['one-shot request', ONE_SHOT, 'one-shot'],
  ['HTTP', Buffer.from('GET / HTTP/1.1\r\n\r\n'), 'foreign'],
  ['LI then something else', Buffer.from('LIX\x01'), 'foreign'],
];

test('the classifier waits for more only while the bytes are a prefix of a preamble', () => {
  for (const [what, bytes, expected] of CASES) {
    assert.equal(classifyFirstBytes(bytes), expected, what);
  }
  assert.equal(classifyFirstBytes(Buffer.alloc(0)), 'more');
  for (let n = 1; n < PREAMBLE.length; n++) assert.equal(classifyFirstBytes(PREAMBLE.subarray(0, n)), 'more', `native ${n}`);
  for (let n = 1; n < PROBE_PREAMBLE.length; n++) assert.equal(classifyFirstBytes(PROBE_PREAMBLE.subarray(0, n)), 'more', `probe ${n}`);
});

test('a real socket is classified the same whichever offset its first bytes are split at', async (t) => {
  const path = join(socketDir(t), 'sniff.sock');
  const seen: ((protocol: Protocol, bytes: Buffer) => void)[] = [];
  const server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    sniffProtocol(socket, (protocol, bytes) => {
      seen.shift()!(protocol, bytes);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => server.close());
  for (const [what, bytes, expected] of CASES) {
    for (let split = 1; split < bytes.length; split++) {
      const known = new Promise<[Protocol, Buffer]>((resolve) => seen.push((protocol, read) => resolve([protocol, read])));
      const client = connect(path);
      client.on('error', () => {});
      await new Promise<void>((resolve) => client.once('connect', resolve));
      client.write(bytes.subarray(0, split));
      // The second part goes out on a later turn, so the server usually reads two chunks.
      await new Promise((resolve) => setImmediate(resolve));
      client.write(bytes.subarray(split));
      const [protocol, read] = await known;
      assert.equal(protocol, expected, `${what}, split at ${split}`);
      // Every byte read so far is handed on, starting at the first.
      assert.ok(bytes.subarray(0, read.length).equals(read.subarray(0, Math.min(read.length, bytes.length))), `${what}, split at ${split}: bytes kept`);
      client.destroy();
    }
  }
});
