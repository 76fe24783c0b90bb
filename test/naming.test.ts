/**
 * What a function is served as and where: its name or the name option, the
 * names allowed, the socket path limit, LIP_SOCKET_DIR, options checked up
 * front (wrapper, init(), exit(), client), and the wrapper staying a local
 * function.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode, LIPClient, LIPConnectionError, LIPError, LIPModule } from '../src/index.js';
import { socketDir } from './helpers/temp-dir.js';

test('the served name is the function name, or the name option', async (t) => {
  const dir = socketDir(t);
  const named = LIPModule({ logLevel: 'silent', socketDir: dir })(function namedFn() {});
  const renamed = LIPModule({ logLevel: 'silent', socketDir: dir, name: 'other.name-1' })(function namedFn() {});
  assert.equal(named.lipName, 'namedFn');
  assert.equal(renamed.lipName, 'other.name-1');
  await renamed.init();
  t.after(() => renamed.exit());
  assert.equal(renamed.socketPath, join(dir, 'lipcm-other.name-1.sock'));
  assert.ok(existsSync(renamed.socketPath!));
});

test('a name with characters outside [A-Za-z0-9_.-] is a TypeError at wrap time', () => {
  for (const name of ['a b', '../x', 'a/b', 'nul\0', 'é', '', '..']) {
    assert.throws(() => LIPModule({ name })(() => 1), TypeError, `name ${JSON.stringify(name)}`);
  }
  assert.throws(() => LIPModule()(() => 1), /has no name/);
});

test('options are checked up front, naming the bad option', () => {
  assert.throws(() => LIPModule({ lruMax: -1 }), /'lruMax'/);
  assert.throws(() => LIPModule({ logLevel: 'loud' as never }), /'logLevel'/);
  assert.throws(() => LIPModule({ bogus: 1 } as never), /unknown option 'bogus'/);
  assert.throws(() => new LIPClient({ timeoutMs: -5 }), /'timeoutMs'/);
});

test('a socket path over the kernel limit is a clear error, not a truncation', async (t) => {
  const dir = socketDir(t);
  const long = LIPModule({ logLevel: 'silent', socketDir: dir, name: 'x'.repeat(100) })(() => 1);
  await assert.rejects(long.init(), (e: unknown) => e instanceof LIPError && e.code === ErrorCode.SocketPath && /107/.test(e.message));
});

test('LIP_SOCKET_DIR is used when no socketDir is given', async (t) => {
  const dir = socketDir(t);
  const previous = process.env.LIP_SOCKET_DIR;
  process.env.LIP_SOCKET_DIR = dir;
  t.after(() => {
    if (previous === undefined) delete process.env.LIP_SOCKET_DIR;
    else process.env.LIP_SOCKET_DIR = previous;
  });
  const envFn = LIPModule({ logLevel: 'silent' })(function envFn() {
    return 'env';
  });
  await envFn.init();
  t.after(() => envFn.exit());
  assert.equal(envFn.socketPath, join(dir, 'lipcm-envFn.sock'));
  const client = new LIPClient();
  t.after(() => client.destroy());
  assert.equal(client.socketDir, dir);
  assert.equal(await client.callFunction('envFn'), 'env');
});

test('the wrapper is still an ordinary local function with the same behaviour', () => {
  const add = LIPModule({ logLevel: 'silent' })(function add(a: number, b: number) {
    return a + b;
  });
  const n: number = add(2, 3);
  assert.equal(n, 5);
  assert.equal(add.name, 'add');
  assert.equal(add.length, 2);
  const asyncFn = LIPModule({ logLevel: 'silent' })(async function later(x: string) {
    return x.toUpperCase();
  });
  const p: Promise<string> = asyncFn('a');
  return p.then((v) => assert.equal(v, 'A'));
});

test('init(), exit() and the client check their options too', async (t) => {
  const dir = socketDir(t);
  const fn = LIPModule({ logLevel: 'silent', socketDir: dir })(function checked() {});
  await assert.rejects(fn.init({ socketDir: 5 as never }), /'socketDir'/);
  await assert.rejects(fn.init({ socket: false }), /nowhere|nats/);
  await assert.rejects(fn.exit({ timeoutMs: -1 }), /'timeoutMs'/);
  assert.throws(() => new LIPClient({ streamWindow: 0 }), /'streamWindow'/);
  assert.throws(() => new LIPClient({ maxFrameBytes: 1.5 }), /'maxFrameBytes'/);
  assert.throws(() => new LIPClient({ prefer: 'remote' as never }), /'prefer'/);
});

test('a closed client refuses new calls with LIPConnectionError, even on an open connection', async (t) => {
  const dir = socketDir(t);
  const here = LIPModule({ logLevel: 'silent', socketDir: dir })(function here() {
    return 'here';
  });
  await here.init();
  t.after(() => here.exit());
  const client = new LIPClient({ socketDir: dir });
  assert.equal(await client.callFunction('here'), 'here');
  await client.close();
  await assert.rejects(client.callFunction('here'), (e: unknown) => e instanceof LIPConnectionError && /closed/.test(e.message));
});
