/**
 * Hand-picked hostile inputs over a real socket, each answered with an error
 * (or a clean close), never a crash: deep nesting, huge bigints, tags cbor-x
 * would act on, prototype keys, non-string names, wrong kinds, replies from a
 * client. After each, the server is alive, unpolluted and serves a good client.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode } from '../src/index.js';
import { MAX_BIGNUM_BYTES, MAX_CBOR_NESTING } from '../src/protocol/codec.js';
import { serveFixture } from './helpers/fixture-server.js';
import { cbor, frame, head, rawCall } from './helpers/raw-cbor.js';
import { PREAMBLE, RawPeer } from './helpers/raw-peer.js';

type Outcome = { reply?: unknown[]; closed: boolean; connError?: unknown[] };

test('hostile inputs get an error or a clean close, and the server keeps serving', async (t) => {
  const { dir, server, client: good } = await serveFixture(t, 'target-server.ts');
  const baseline = await good.callFunction<{ objectProtoKeys: string[] }>('probe');

  /** Sends one body as request `id` on a fresh connection; returns its reply, or that the connection closed. */
  async function send(body: Buffer, id = 1, fn = 'inspect'): Promise<Outcome> {
    const peer = await RawPeer.connect(join(dir, `lipcm-${fn}.sock`));
    try {
      peer.write(Buffer.concat([PREAMBLE, frame(body), frame(cbor.array([head(0, 8), head(0, 99), cbor.text('ping')]))]));
      // A Result or Error, or the End of a stream.
      const reply = await peer.waitFrame((f) => (f[0] === 2 || f[0] === 3 || f[0] === 6) && f[1] === id, 5000);
      const ping = await peer.waitFrame((f) => f[1] === 99, 5000);
      assert.deepEqual(peer.invalid, []);
      const connError = peer.frames.find((f) => (f as unknown[])[0] === 3 && (f as unknown[])[1] === 0) as unknown[] | undefined;
      return { reply, closed: !ping, connError };
    } finally {
      peer.destroy();
    }
  }
  async function healthy(label: string): Promise<void> {
    assert.equal(server.child.exitCode, null, `alive after ${label}`);
    assert.equal(await good.callFunction('add', [2, 40]), 42, `served after ${label}`);
    const now = await good.callFunction<{ objectPolluted: unknown; arrayPolluted: unknown; objectProtoKeys: string[] }>('probe');
    assert.equal(now.objectPolluted, undefined, `no pollution after ${label}`);
    assert.equal(now.arrayPolluted, undefined);
    assert.deepEqual(now.objectProtoKeys, baseline.objectProtoKeys);
  }
  const code = (o: Outcome) => ((o.reply?.[2] ?? o.connError?.[2]) as { code?: string } | undefined)?.code;
  const protocolErrorOrClose = (o: Outcome, label: string) => {
    assert.ok(o.closed || o.reply?.[0] === 3, `${label}: an error or a close`);
    if (o.connError || o.reply?.[0] === 3) assert.equal(code(o), ErrorCode.Protocol, label);
  };

  await t.test('nesting over the limit (100,000 deep) is refused; at the limit it is served', async () => {
    const deep = Buffer.concat([Buffer.alloc(100_000, 0x81), Buffer.from([0x01])]);
    const outcome = await send(rawCall(1, 'inspect', [deep]));
    protocolErrorOrClose(outcome, 'deep');
    // The frame's head is readable: only that call fails, the connection stays (issue 13).
    assert.match((outcome.reply![2] as { message: string }).message, /nested deeper than 512/);
    assert.equal(outcome.closed, false);
    await healthy('deep nesting');
    const ok = Buffer.concat([Buffer.alloc(MAX_CBOR_NESTING - 3, 0x81), Buffer.from([0x01])]);
    const served = await send(rawCall(1, 'inspect', [ok]));
    assert.equal(served.reply?.[0], 2);
  });

  await t.test('a 1 MiB bignum is refused at once; one at the limit is served', async () => {
    const started = Date.now();
    const huge = await send(rawCall(1, 'inspect', [cbor.tag(2, cbor.bytes(Buffer.alloc(1 << 20, 0xff)))]));
    protocolErrorOrClose(huge, 'huge bignum');
    // cbor-x alone would spend minutes of CPU on it.
    assert.ok(Date.now() - started < 5000);
    await healthy('huge bignum');
    const fits = await send(rawCall(1, 'inspect', [cbor.tag(3, cbor.bytes(Buffer.alloc(MAX_BIGNUM_BYTES, 0xff)))]));
    assert.deepEqual((fits.reply![2] as { type: string }).type, 'bigint');
  });

  await t.test('tags cbor-x would act on are refused; unknown tags arrive as plain data', async () => {
    const refused = [
      cbor.tag(28, cbor.array([cbor.tag(29, cbor.uint(0))])), // a cycle
      cbor.tag(29, cbor.uint(0)),
      cbor.tag(0xdfff, cbor.array([cbor.uint(0xe000), cbor.array([cbor.text('__proto__')]), cbor.uint(1)])),
      cbor.tag(0xe000, cbor.uint(1)),
      cbor.tag(105, cbor.array([cbor.uint(0xe000), cbor.array([cbor.text('polluted')]), cbor.uint(1)])),
      cbor.tag(51, cbor.array([cbor.uint(1), cbor.uint(2), cbor.uint(3), cbor.uint(4)])),
      cbor.tag(6, cbor.uint(0)),
      cbor.tag(225, cbor.text('x')),
      cbor.tag(0x53687264, cbor.uint(0)),
    ];
    for (const value of refused) {
      protocolErrorOrClose(await send(rawCall(1, 'inspect', [value])), value.subarray(0, 6).toString('hex'));
    }
    await healthy('refused tags');
    // Tag 27 names no constructor: whatever the name, it arrives as an Error carrying it, nothing is looked up.
    for (const name of ['constructor', 'Function', '__proto__', 'toString', 'process']) {
      const outcome = await send(rawCall(1, 'echo', [cbor.tag(27, cbor.array([cbor.text(name), cbor.text('return process')]))]), 1, 'echo');
      const echoed = outcome.reply?.[2] as Error;
      assert.ok(echoed instanceof Error && echoed.name === name && echoed.message === 'return process', name);
    }
    await healthy('tag 27 names');
    for (const tag of [32, 37, 1000, 40000, 0xdff8]) {
      const outcome = await send(rawCall(1, 'inspect', [cbor.tag(tag, cbor.text('x'))]));
      assert.equal(outcome.reply?.[0], 2, `tag ${tag}`);
    }
    await healthy('unknown tags');
  });

  await t.test('__proto__, constructor and prototype keys pollute nothing', async () => {
    const polluter = cbor.map([[cbor.text('__proto__'), cbor.map([[cbor.text('polluted'), cbor.uint(1)]])]]);
    const ctor = cbor.map([[cbor.text('constructor'), cbor.map([[cbor.text('prototype'), cbor.map([[cbor.text('polluted'), cbor.uint(1)]])]])]]);
    for (const [i, value] of [polluter, ctor, cbor.array([polluter, ctor])].entries()) {
      const outcome = await send(rawCall(1, 'inspect', [value]));
      assert.equal(outcome.reply?.[0], 2, `case ${i}`);
      assert.equal((outcome.reply![2] as { plainProto: boolean }).plainProto, true, `case ${i}`);
    }
    // As a Map (tag 259) the key is just a key.
    assert.equal((await send(rawCall(1, 'echo', [cbor.tag(259, polluter)]), 1, 'echo')).reply?.[0], 2);
    // As keyword arguments and as call options.
    const asKwargs = cbor.array([cbor.uint(1), cbor.uint(1), cbor.text('inspect'), cbor.array([]), polluter, polluter]);
    assert.equal(code(await send(asKwargs)), ErrorCode.Argument);
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      const kw = cbor.array([cbor.uint(1), cbor.uint(1), cbor.text('inspect'), cbor.array([]), cbor.map([[cbor.text(key), cbor.uint(1)]]), cbor.null]);
      assert.equal(code(await send(kw)), ErrorCode.Argument, key);
    }
    await healthy('prototype keys');
  });

  await t.test('non-string function names, wrong kinds, bad ids and replies sent by a client are answered, not fatal', async () => {
    const bodies: [string, Buffer, number][] = [
      ['fn 42', cbor.array([cbor.uint(1), cbor.uint(1), cbor.uint(42), cbor.array([]), cbor.null, cbor.null]), 1],
      ['fn null', cbor.array([cbor.uint(1), cbor.uint(1), cbor.null, cbor.array([]), cbor.null, cbor.null]), 1],
      ['fn array', cbor.array([cbor.uint(1), cbor.uint(1), cbor.array([cbor.text('inspect')]), cbor.array([]), cbor.null, cbor.null]), 1],
      ['fn map', cbor.array([cbor.uint(1), cbor.uint(1), cbor.map([[cbor.text('toString'), cbor.uint(1)]]), cbor.array([]), cbor.null, cbor.null]), 1],
      ['args map', cbor.array([cbor.uint(1), cbor.uint(1), cbor.text('inspect'), cbor.map([]), cbor.null, cbor.null]), 1],
      ['kind 0 (Hello)', cbor.array([cbor.uint(0), cbor.uint(1), cbor.map([])]), 1],
      ['kind 2 (Result)', cbor.array([cbor.uint(2), cbor.uint(1), cbor.uint(5)]), 1],
      ['kind 3 (Error)', cbor.array([cbor.uint(3), cbor.uint(1), cbor.map([[cbor.text('message'), cbor.text('x')]])]), 1],
      ['kind 5 (Item)', cbor.array([cbor.uint(5), cbor.uint(1), cbor.uint(5)]), 1],
      ['kind 6 (End)', cbor.array([cbor.uint(6), cbor.uint(1)]), 1],
      ['kind 9', cbor.array([cbor.uint(9), cbor.uint(1)]), 1],
      ['kind "1"', cbor.array([cbor.text('1'), cbor.uint(1)]), 1],
      ['kind -1', cbor.array([head(1, 0), cbor.uint(1)]), 1],
      ['verb "eval"', cbor.array([cbor.uint(8), cbor.uint(1), cbor.text('eval'), cbor.text('process.exit()')]), 1],
      ['verb 7', cbor.array([cbor.uint(8), cbor.uint(1), cbor.uint(7)]), 1],
      ['id 0', cbor.array([cbor.uint(1), cbor.uint(0), cbor.text('inspect'), cbor.array([]), cbor.null, cbor.null]), 0],
      ['id 2^32', cbor.array([cbor.uint(1), cbor.uint(2 ** 32), cbor.text('inspect'), cbor.array([]), cbor.null, cbor.null]), 0],
      ['id "1"', cbor.array([cbor.uint(1), cbor.text('1'), cbor.text('inspect'), cbor.array([]), cbor.null, cbor.null]), 0],
      ['not an array', cbor.map([[cbor.text('fn'), cbor.text('inspect')]]), 0],
      ['a bare number', cbor.uint(7), 0],
      ['empty array', cbor.array([]), 0],
    ];
    for (const [label, body, id] of bodies) {
      const outcome = await send(body, id);
      assert.equal(outcome.reply?.[0], 3, label);
      assert.equal(code(outcome), ErrorCode.Protocol, label);
      assert.equal(outcome.closed, false, `${label}: the connection stays usable`);
    }
    await healthy('grammar errors');
  });

  await t.test('odd call options and credits for unknown calls are harmless', async () => {
    for (const opts of [
      cbor.map([[cbor.text('timeoutMs'), head(1, 5)]]),
      cbor.map([[cbor.text('timeoutMs'), Buffer.from([0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0])]]), // Infinity
      cbor.map([[cbor.text('timeoutMs'), cbor.text('soon')]]),
      cbor.map([
        [cbor.text('stream'), cbor.text('yes')],
        [cbor.text('credit'), head(1, 4)],
      ]),
      cbor.map([
        [cbor.text('stream'), Buffer.from([0xf5])],
        [cbor.text('credit'), cbor.uint(2 ** 40)],
      ]),
    ]) {
      const body = cbor.array([cbor.uint(1), cbor.uint(1), cbor.text('inspect'), cbor.array([cbor.uint(1)]), cbor.null, opts]);
      const outcome = await send(body);
      assert.ok(!outcome.closed);
    }
    for (const body of [
      cbor.array([cbor.uint(7), cbor.uint(5), cbor.uint(3)]),
      cbor.array([cbor.uint(7), cbor.uint(5), head(1, 3)]),
      cbor.array([cbor.uint(4), cbor.uint(12345)]),
    ]) {
      const outcome = await send(body, 99);
      assert.ok(!outcome.closed);
    }
    await healthy('odd options');
  });
});

test('the library has no eval, Function constructor, vm, or import of a computed name on the request path', async () => {
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const root = new URL('../src/', import.meta.url).pathname;
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((e) => (statSync(dir + e).isDirectory() ? (e === 'cli' ? [] : walk(`${dir}${e}/`)) : e.endsWith('.ts') ? [dir + e] : []));
  })(root);
  assert.ok(files.length > 10);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    assert.doesNotMatch(source, /\beval\s*\(|new\s+Function\b|\bFunction\s*\(\s*['"`]|node:vm|from 'vm'/, file);
    // Dynamic imports and requires only of fixed module names.
    for (const m of source.matchAll(/\b(?:import|require)\s*\(\s*([^)\s])/g)) assert.match(m[1]!, /['"]/, `${file}: ${m[0]}`);
  }
});
