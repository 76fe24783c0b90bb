/**
 * No reply is a frame over the server's maxFrameBytes (PROTOCOL.md: a receiver refuses a larger length
 * and closes the connection, so one oversized reply would cost a conforming client every call in
 * flight). A result or a stream item over it fails its own call with ERR_LIP_FRAME_TOO_LARGE; an error
 * over it is sent cut to its start, without stack or data. Read with a raw peer, over a real socket.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode, LIPModule } from '../src/index.js';
import { Kind } from '../src/protocol/messages.js';
import { encodeValue, PREAMBLE, RawPeer } from './helpers/raw-peer.js';
import { socketDir } from './helpers/temp-dir.js';

const LIMIT = 1024 * 1024;

test('results, items and errors over maxFrameBytes fail only their call, in frames within the limit', async (t) => {
  const dir = socketDir(t);
  const options = { logLevel: 'silent' as const, socketDir: dir, maxFrameBytes: LIMIT };
  const big = LIPModule(options)(function big(bytes: number) {
    return Buffer.alloc(bytes, 1);
  });
  const loud = LIPModule(options)(function loud(chars: number) {
    throw new Error('m'.repeat(chars));
  });
  const named = LIPModule(options)(function named(chars: number) {
    const error = new Error('short');
    error.name = 'N'.repeat(chars);
    error.stack = 'S'.repeat(chars);
    (error as Error & { code: string }).code = 'C'.repeat(chars);
    throw error;
  });
  const items = LIPModule(options)(async function* items(bytes: number) {
    yield 'first';
    yield Buffer.alloc(bytes, 2);
  });
  for (const fn of [big, loud, named, items]) {
    await fn.init();
    t.after(() => fn.exit({ timeoutMs: 1000 }));
  }
  const open = async (name: string) => {
    const peer = await RawPeer.connect(join(dir, `lipcm-${name}.sock`));
    t.after(() => peer.destroy());
    peer.write(PREAMBLE);
    await peer.waitFrame((f) => f[0] === Kind.Hello);
    return peer;
  };
  const withinLimit = (peer: RawPeer) => {
    for (const frame of peer.frames) assert.ok(encodeValue(frame).length <= LIMIT, `a frame of ${encodeValue(frame).length} bytes`);
  };
  const info = (frame: unknown[] | undefined) => {
    assert.ok(frame);
    assert.equal(frame[0], Kind.Error, JSON.stringify(frame).slice(0, 200));
    return frame[2] as { code: string; message: string; stack?: string };
  };

  const bigPeer = await open('big');
  bigPeer.send([Kind.Call, 1, 'big', [2 * LIMIT], null, null]);
  const refused = info(await bigPeer.reply(1));
  assert.equal(refused.code, ErrorCode.FrameTooLarge);
  assert.match(refused.message, /the result of 'big' is \d+ bytes encoded, over the frame limit of 1048576 bytes/);
  bigPeer.send([Kind.Call, 2, 'big', [1000], null, null]);
  const small = await bigPeer.reply(2);
  assert.ok(small);
  assert.equal(small[0], Kind.Result);
  assert.equal((small[2] as Uint8Array).length, 1000);
  withinLimit(bigPeer);

  const loudPeer = await open('loud');
  loudPeer.send([Kind.Call, 1, 'loud', [3 * LIMIT], null, null]);
  const cut = info(await loudPeer.reply(1));
  assert.match(cut.message, /^m{16384}… \(cut: the error's \d+ bytes are over the frame limit of 1048576\)$/);
  assert.equal(cut.stack, undefined);
  loudPeer.send([Kind.Call, 2, 'loud', [10], null, null]);
  assert.equal(info(await loudPeer.reply(2)).message, 'mmmmmmmmmm');
  withinLimit(loudPeer);

  const namedPeer = await open('named');
  namedPeer.send([Kind.Call, 1, 'named', [2 * LIMIT], null, null]);
  const cutName = info(await namedPeer.reply(1));
  assert.ok(cutName.message.startsWith('short… (cut:'), cutName.message.slice(0, 80));
  assert.equal(cutName.stack, undefined);
  withinLimit(namedPeer);

  const itemsPeer = await open('items');
  itemsPeer.send([Kind.Call, 1, 'items', [2 * LIMIT], null, { stream: true, credit: 8 }]);
  const failed = info(await itemsPeer.waitFrame((f) => f[0] === Kind.Error && f[1] === 1));
  assert.equal(failed.code, ErrorCode.FrameTooLarge);
  assert.match(failed.message, /an item of 'items' is \d+ bytes encoded/);
  assert.deepEqual(
    itemsPeer.frames.filter((f) => Array.isArray(f) && f[0] === Kind.Item).map((f) => (f as unknown[])[2]),
    ['first'],
  );
  withinLimit(itemsPeer);
  assert.equal(itemsPeer.closed, false);
});
