/**
 * Fuzzing (fast-check): the frame decoder and the codec in process, then the
 * message grammar and random or mutated bytes against a real server over real
 * sockets, with a well-behaved client checked after every case (grammar) or
 * every batch of 20 (bytes). About 14,000 cases per run; `npm run fuzz` runs more.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, LIPClient, LIPProtocolError } from '../src/index.js';
import { checkCbor, decodeValue, encodeValue } from '../src/protocol/codec.js';
import { FrameDecoder, joinFrame } from '../src/protocol/frame.js';
import { startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { bytesCaseArb, cborArb, fuzzBytes, fuzzGrammar } from './helpers/wire-fuzzer.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? '1');

test('FrameDecoder: any frames, glued and split anywhere, come out whole and in order', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (bodies, cuts) => {
      const stream = Buffer.concat(bodies.map((b) => joinFrame(b)));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const decoder = new FrameDecoder(1024);
      const out: Buffer[] = [];
      let last = 0;
      for (const p of [...points, stream.length]) {
        out.push(...decoder.push(stream.subarray(last, p)));
        last = p;
      }
      assert.deepEqual(
        out.map((b) => Buffer.from(b).toString('hex')),
        bodies.map((b) => Buffer.from(b).toString('hex')),
      );
      assert.equal(decoder.pendingBytes, 0);
    }),
    { numRuns: 2000 },
  );
});

test('FrameDecoder: fed byte by byte, the same frames come out', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), (bodies) => {
      const stream = Buffer.concat(bodies.map((b) => joinFrame(b)));
      const decoder = new FrameDecoder(64);
      const out = [...stream].flatMap((byte) => decoder.push(Buffer.from([byte])));
      assert.deepEqual(
        out.map((b) => b.toString('hex')),
        bodies.map((b) => Buffer.from(b).toString('hex')),
      );
    }),
    { numRuns: 500 },
  );
});

test('FrameDecoder: garbage only ever yields frames or ERR_LIP_FRAME_TOO_LARGE, and holds at most one frame', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
      const decoder = new FrameDecoder(256);
      try {
        for (const chunk of chunks) {
          for (const body of decoder.push(Buffer.from(chunk))) assert.ok(body.length <= 256);
          assert.ok(decoder.pendingBytes <= 256 + 4);
        }
      } catch (error) {
        assert.ok(error instanceof LIPProtocolError);
        assert.equal(error.code, ErrorCode.FrameTooLarge);
      }
    }),
    { numRuns: 1000 },
  );
});

test('codec: hostile or random CBOR decodes or throws LIPProtocolError, never anything else, and pollutes nothing', () => {
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  fc.assert(
    fc.property(fc.oneof(cborArb, bytesCaseArb), (bytes) => {
      let value: unknown;
      try {
        value = decodeValue(bytes);
      } catch (error) {
        assert.ok(error instanceof LIPProtocolError, String(error));
        return;
      }
      // What passed the check re-encodes (or fails as a protocol error) without blowing the stack.
      try {
        encodeValue(value);
      } catch (error) {
        assert.ok(error instanceof LIPProtocolError, String(error));
      }
    }),
    { numRuns: 3000 },
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), protoKeys);
});

test('codec: checkCbor accepts everything our own encoder writes', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.uint8Array({ maxLength: 50 }), fc.bigInt(), (json, bytes, big) => {
      checkCbor(encodeValue([json, Buffer.from(bytes), big, new Map([[1, json]]), new Date(0), new Set([1]), new Float64Array([1, 2]), new Error('e'), /x+/]));
    }),
    { numRuns: 500 },
  );
});

test('a real server survives the grammar and random bytes; a good client is served throughout', async (t) => {
  const dir = socketDir(t);
  const cwd = mkdtempSync('/tmp/lipt-cwd-');
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const server = await startFixture(t, 'target-server.ts', dir, { TARGET_CWD: cwd });
  const good = new LIPClient({ socketDir: dir });
  t.after(() => good.destroy());
  const before = await good.callFunction<{ rss: number; objectProtoKeys: string[] }>('probe');
  const socketsBefore = readdirSync(dir).sort();

  const grammar = await fuzzGrammar(dir, good, 4500 * SCALE);
  t.diagnostic(`grammar: ${JSON.stringify(grammar)}`);
  const bytes = await fuzzBytes(dir, good, 2500 * SCALE);
  t.diagnostic(`bytes: ${JSON.stringify(bytes)}`);

  for (const figures of [grammar, bytes]) {
    assert.equal(figures.invalidFrames, 0);
    assert.equal(figures.goodFailures, 0);
  }
  assert.equal(server.child.exitCode, null, 'the server is alive');
  const after = await good.callFunction<{ rss: number; objectPolluted: unknown; arrayPolluted: unknown; objectProtoKeys: string[] }>('probe');
  t.diagnostic(`server rss ${(before.rss / 1048576).toFixed(1)} MiB before, ${(after.rss / 1048576).toFixed(1)} MiB after`);
  assert.equal(after.objectPolluted, undefined, 'Object.prototype untouched');
  assert.equal(after.arrayPolluted, undefined);
  assert.deepEqual(after.objectProtoKeys, before.objectProtoKeys);
  // Nothing a client sent touched files: the server's cwd is still empty, the socket dir unchanged.
  assert.deepEqual(readdirSync(cwd), []);
  assert.deepEqual(readdirSync(dir).sort(), socketsBefore);
});
