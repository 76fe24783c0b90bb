/**
 * Both directions with the Python original's one-shot protocol, against real
 * Python processes (test/python/, written from docs/PROTOCOL.md) and a real
 * TypeScript server process, in a fresh socket directory.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Encoder } from 'cbor-x';
import { ErrorCode, LIPClient, LIPProtocolError, LIPRemoteError, isLIPRemoteError } from '../src/index.js';
import type { Endpoint } from '../src/call/endpoint.js';
import { serveOneShot } from '../src/python/one-shot-server.js';
import { SocketServer } from '../src/server/socket-server.js';
import { serveFixture, startFixture } from './helpers/fixture-server.js';
import { PY_CLIENT, PYTHON, startPythonServer } from './helpers/python-server.js';
import { socketDir } from './helpers/temp-dir.js';

const run = promisify(execFile);

type PyOutput = { result?: unknown; error?: string; type?: string };

/** Runs the Python client once; its one JSON line, whether it succeeded or not. */
async function py(dir: string, ...args: string[]): Promise<PyOutput> {
  try {
    const { stdout } = await run(PYTHON, [PY_CLIENT, '--dir', dir, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    return JSON.parse(stdout) as PyOutput;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    if (stdout) return JSON.parse(stdout) as PyOutput;
    throw new Error(`python client failed: ${stderr}`, { cause: error });
  }
}

/** Writes raw bytes to a socket (optionally half-closing) and returns everything read until it closes. */
function rawExchange(path: string, bytes: Buffer, halfClose = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('connect', () => (halfClose ? socket.end(bytes) : socket.write(bytes)));
  });
}

function pattern(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = i % 251;
  return bytes;
}

// What cbor2 would write: plain maps with minimal headers, untagged bytes.
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false });
const encode = (value: unknown): Buffer => cbor.encode(value);
const decode = (bytes: Buffer) => cbor.decode(bytes) as { result?: unknown; error?: string };

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('a Python client calls TypeScript functions unchanged', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'python-peer.ts', dir);

  await t.test('calls with positional and keyword arguments', async () => {
    assert.deepEqual(await py(dir, 'call', 'add', '2', '3'), { result: 5 });
    assert.deepEqual(await py(dir, 'call', 'add', '--kw', 'a=1', '--kw', 'b=2'), { result: 3 });
    assert.deepEqual(await py(dir, 'call', 'add', '2', '--kw', 'b=40'), { result: 42 });
    assert.deepEqual(await py(dir, 'call', 'greet', 'Ann'), { result: 'Hello, Ann!' });
    assert.deepEqual(await py(dir, 'call', 'greet', 'Ann', '--kw', 'greeting=Hi'), { result: 'Hi, Ann!' });
  });

  await t.test('gets docstrings, None when there is none', async () => {
    assert.deepEqual(await py(dir, 'doc', 'add'), { result: 'Adds two numbers.' });
    assert.deepEqual(await py(dir, 'doc', 'echo'), { result: null });
  });

  await t.test('errors arrive as ValueError with the message only', async () => {
    assert.deepEqual(await py(dir, 'call', 'fail', 'boom'), { error: 'boom', type: 'ValueError' });
    const unencodable = await py(dir, 'call', 'unencodable');
    assert.equal(unencodable.type, 'ValueError');
    assert.match(unencodable.error!, /could not be encoded/);
  });

  await t.test('argument errors are worded like Python', async () => {
    const cases: [string[], string][] = [
      [['add', '1'], "missing a required argument: 'b'"],
      [['add'], "missing a required argument: 'a'"],
      [['add', '1', '2', '3'], 'too many positional arguments'],
      [['add', '1', '--kw', 'b=2', '--kw', 'c=3'], "got an unexpected keyword argument 'c'"],
      [['add', '1', '2', '--kw', 'a=3'], "multiple values for argument 'a'"],
    ];
    for (const [args, message] of cases) {
      assert.deepEqual(await py(dir, 'call', ...args), { error: message, type: 'ValueError' }, args.join(' '));
    }
  });

  await t.test('a 1 MiB bytes argument and a 1 MiB bytes result', async () => {
    assert.deepEqual(await py(dir, 'call', 'size', '@bytes:1048576'), { result: 1048576 });
    const echoed = await py(dir, 'call', 'echo', '@bytes:1048576');
    assert.deepEqual(echoed, { result: { $bytes: 1048576, sha256: sha256(pattern(1048576)) } });
  });

  await t.test('100 calls in a row', async () => {
    const out = await py(dir, 'call', 'add', '2', '3', '--repeat', '100');
    assert.deepEqual(out, { result: Array.from({ length: 100 }, () => 5) });
  });

  await t.test('a client that half-closes after its request still gets the reply', async () => {
    assert.deepEqual(await py(dir, '--half-close', 'call', 'add', '2', '3'), { result: 5 });
    assert.deepEqual(await py(dir, '--half-close', 'doc', 'add'), { result: 'Adds two numbers.' });
  });

  await t.test('values arrive as the obvious Python types', async () => {
    const out = await py(dir, 'call', 'samples');
    assert.deepEqual(out.result, {
      big: 2 ** 40,
      neg: -(2 ** 40),
      half: { $float: 1.5 },
      huge: { $int: (2n ** 70n).toString() },
      nothing: null,
      map: {
        $dict: [
          [1, 'one'],
          ['two', 2],
        ],
      },
      set: { $set: [1, 2] },
      bytes: { $bytes: 3, sha256: sha256(Buffer.from([1, 2, 3])) },
      floats: [{ $float: 0.5 }, 2],
      when: { $datetime: '2024-01-02T03:04:05+00:00' },
    });
    const kinds = await py(dir, 'call', 'kinds', '1', '1.5', 'null', '[1]', '{"a": 1}', '"s"', '@bytes:3');
    assert.deepEqual(kinds.result, ['number', 'number', 'null', 'Array', 'object', 'string', 'Buffer']);
  });

  await t.test('a streaming function answers with the list of its values', async () => {
    assert.deepEqual(await py(dir, 'call', 'ticks', '3'), { result: [0, 1, 2] });
  });

  await t.test('the bytes on the wire are the ones the original exchanges', async () => {
    const call = Buffer.from('a2646172677382020366 6b7761726773a0'.replace(/ /g, ''), 'hex');
    assert.equal((await rawExchange(join(dir, 'lipcm-add.sock'), call, false)).toString('hex'), 'a166726573756c7405');
    const doc = Buffer.from('a164747970656964 6f63737472696e67'.replace(/ /g, ''), 'hex');
    assert.equal((await rawExchange(join(dir, 'lipcm-echo.sock'), doc)).toString('hex'), 'a166726573756c74f6');
    // Trailing bytes after the request's item are ignored.
    const trailing = Buffer.concat([call, Buffer.from('ffff', 'hex')]);
    assert.equal((await rawExchange(join(dir, 'lipcm-add.sock'), trailing)).toString('hex'), 'a166726573756c7405');
  });
});

test('LIPClient calls functions served by the Python original', async (t) => {
  const dir = socketDir(t);
  await startPythonServer(t, dir);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());

  await t.test('telling the kinds apart runs nothing on the Python server', async () => {
    // The first call probes the socket first; had the probe run anything, the count would be 2.
    assert.equal(await client.callFunction('py_counter'), 1);
    assert.equal(await client.callFunction('py_counter'), 2);
  });

  await t.test('calls with positional and keyword arguments', async () => {
    assert.equal(await client.callFunction('py_add', [2, 3]), 5);
    assert.equal(await client.callFunction('py_add', [], { a: 1, b: 2 }), 3);
    assert.equal(await client.callFunction('py_greet', ['Ann'], { greeting: 'Hi' }), 'Hi, Ann!');
    assert.equal(await client.bind<(a: number, b: number) => number>('py_add')(20, 22), 42);
  });

  await t.test('gets docstrings, null when there is none', async () => {
    assert.equal(await client.getDocstring('py_add'), 'Adds two numbers.');
    assert.equal(await client.getDocstring('py_nodoc'), null);
  });

  await t.test('errors reject with LIPRemoteError carrying the message', async () => {
    const error = await client.callFunction('py_fail', ['boom']).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof LIPRemoteError && isLIPRemoteError(error));
    assert.equal(error.remote.message, 'boom');
    assert.equal(error.code, ErrorCode.Remote);
    assert.match(error.stack!, /python-interop\.test\.ts/, 'the stack points at the call');
    await assert.rejects(client.callFunction('py_add', [1]), (e: LIPRemoteError) => e.remote.message === "missing a required argument: 'b'");
    await assert.rejects(client.callFunction('py_add', [1, 2], { a: 3 }), (e: LIPRemoteError) => e.remote.message === "multiple values for argument 'a'");
  });

  await t.test('a result the original cannot encode is a protocol error, not null', async () => {
    await assert.rejects(client.callFunction('py_unencodable'), (e: unknown) => e instanceof LIPProtocolError && /without a reply/.test(e.message));
  });

  await t.test('a 1 MiB bytes argument', async () => {
    assert.equal(await client.callFunction('py_size', [pattern(1 << 20)]), 1 << 20);
    const echoed = await client.callFunction<Buffer>('py_echo', [pattern(1 << 20)]);
    assert.ok(Buffer.isBuffer(echoed));
    assert.ok(echoed.equals(pattern(1 << 20)));
  });

  await t.test('100 calls in a row, and 20 at once', async () => {
    for (let i = 0; i < 100; i++) assert.equal(await client.callFunction('py_add', [i, 1]), i + 1);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.callFunction('py_add', [i, i])));
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => 2 * i),
    );
  });

  await t.test('values arrive as Python types and come back', async () => {
    const sent = [1, 1.5, 2 ** 40, 2n ** 70n, undefined, new Map([[1, 'a']]), new Set([1]), Buffer.from('x'), new Date(0), 'text', [1], { a: 1 }];
    assert.deepEqual(await client.callFunction('py_kinds', sent), [
      'int',
      'float',
      'int',
      'int',
      'NoneType',
      'dict',
      'set',
      'bytes',
      'datetime',
      'str',
      'list',
      'dict',
    ]);
    assert.deepEqual(await client.callFunction('py_echo', [{ n: [2 ** 40, -(2 ** 40), 2n ** 70n, 0.5, null, true] }]), {
      n: [2 ** 40, -(2 ** 40), 2n ** 70n, 0.5, null, true],
    });
  });

  await t.test('ping is emulated; describe, stats and stop are refused clearly', async () => {
    assert.ok((await client.ping('py_add')) >= 0);
    await assert.rejects(client.describe('py_add'), (e: unknown) => e instanceof LIPProtocolError && /Python original.*'info'/.test(e.message));
    await assert.rejects(client.stats('py_add'), LIPProtocolError);
    await assert.rejects(client.stop('py_add'), LIPProtocolError);
  });

  await t.test('a stream yields the result as its only item', async () => {
    const items: unknown[] = [];
    for await (const item of client.stream('py_add', [1, 2])) items.push(item);
    assert.deepEqual(items, [3]);
  });
});

test("LIPClient works with the original's short-read request loop", async (t) => {
  const dir = socketDir(t);
  await startPythonServer(t, dir, ['--short-reads']);
  const client = new LIPClient({ socketDir: dir, timeoutMs: 20_000 });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('py_counter'), 1);
  assert.equal(await client.callFunction('py_add', [2, 3]), 5);
  assert.equal(await client.getDocstring('py_greet'), 'Greets someone.');
  // Exactly 1024 bytes deadlocks the original unless the client half-closes.
  let exact = Buffer.alloc(0);
  for (let n = 980; n < 1024; n++) if (encode({ args: [Buffer.alloc(n)], kwargs: {} }).length === 1024) exact = Buffer.alloc(n);
  assert.equal(encode({ args: [exact], kwargs: {} }).length, 1024);
  assert.equal(await client.callFunction('py_size', [exact]), exact.length);
});

test('Python and TypeScript functions in one directory', async (t) => {
  const dir = socketDir(t);
  await startPythonServer(t, dir);
  await startFixture(t, 'python-peer.ts', dir);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());

  const listed = await client.listFunctions();
  for (const name of ['add', 'greet', 'size', 'py_add', 'py_greet', 'py_size']) assert.ok(listed.includes(name), `${name} in ${listed.join(', ')}`);
  const pyListed = await py(dir, 'list');
  assert.deepEqual(pyListed.result, listed, 'both clients list the same functions');

  // Each kind through the other's client, in one session.
  assert.equal(await client.callFunction('add', [2, 3]), 5);
  assert.equal(await client.callFunction('py_add', [2, 3]), 5);
  assert.equal(await client.getDocstring('greet'), 'Greets someone.');
  assert.equal(await client.getDocstring('py_greet'), 'Greets someone.');
  assert.deepEqual(await py(dir, 'call', 'py_add', '2', '3'), { result: 5 });
  assert.deepEqual(await py(dir, 'call', 'add', '2', '3'), { result: 5 });
  assert.equal((await client.describe('add')).name, 'add', 'native functions keep every verb');
});

test('a native client and one-shot clients on the same TypeScript socket at once', async (t) => {
  const { dir, client } = await serveFixture(t, 'python-peer.ts');
  const path = join(dir, 'lipcm-sleep.sock');

  const native = Promise.all(Array.from({ length: 200 }, (_, i) => client.callFunction('sleep', [i % 7, i])));
  const python = py(dir, 'call', 'add', '1', '1', '--repeat', '50');
  const raw = Promise.all(Array.from({ length: 20 }, (_, i) => rawExchange(path, encode({ args: [i % 5, `raw ${i}`], kwargs: {} }))));
  const [nativeResults, pythonResult, rawReplies] = await Promise.all([native, python, raw]);
  assert.deepEqual(
    nativeResults,
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.deepEqual(pythonResult, { result: Array.from({ length: 50 }, () => 2) });
  rawReplies.forEach((reply, i) => {
    assert.deepEqual(decode(reply), { result: `raw ${i}` });
  });
  const stats = await client.stats('sleep');
  assert.equal(stats.calls, 220, 'one-shot calls count in stats');
});

test('one-shot requests that never become whole are answered and closed', async (t) => {
  const dir = socketDir(t);
  const endpoint: Endpoint = {
    name: 'echo',
    invoke: (args) => args[0],
    doc: () => 'Echoes.',
    info: () => ({}),
    stats: () => ({}),
  };
  const server: SocketServer = new SocketServer(endpoint, {
    maxFrameBytes: 4096,
    onOneShot: (socket, firstBytes) => serveOneShot(server, socket, firstBytes, { readTimeoutMs: 300 }),
  });
  const path = join(dir, 'lipcm-echo.sock');
  await server.listen(path);
  t.after(() => server.close(1000));
  const decodeReply = async (reply: Promise<Buffer>) => decode(await reply);

  await t.test('a whole request in the same process works', async () => {
    assert.deepEqual(await decodeReply(rawExchange(path, encode({ args: ['hi'], kwargs: {} }))), { result: 'hi' });
    assert.deepEqual(await decodeReply(rawExchange(path, encode({ type: 'docstring' }))), { result: 'Echoes.' });
  });

  await t.test('half a request, then silence: an error reply once the read time is up', async () => {
    const whole = encode({ args: ['x'.repeat(100)], kwargs: {} });
    const reply = await decodeReply(rawExchange(path, whole.subarray(0, 50), false));
    assert.match(reply.error!, /no complete request within 300 ms/);
  });

  await t.test('half a request, then end of input', async () => {
    const whole = encode({ args: ['x'.repeat(100)], kwargs: {} });
    const reply = await decodeReply(rawExchange(path, whole.subarray(0, 50)));
    assert.match(reply.error!, /ended after 50 bytes/);
  });

  await t.test('a request over the size limit is refused', async () => {
    const reply = await decodeReply(rawExchange(path, encode({ args: [Buffer.alloc(8000)], kwargs: {} })));
    assert.match(reply.error!, /exceeds the limit of 4096 bytes/);
  });

  await t.test('malformed CBOR and wrong shapes get an error reply', async () => {
    assert.match((await decodeReply(rawExchange(path, Buffer.from('a1fc', 'hex')))).error!, /malformed CBOR/);
    assert.match((await decodeReply(rawExchange(path, encode({ args: 'nope', kwargs: {} })))).error!, /args must be a list/);
  });

  assert.ok(existsSync(path));
});
