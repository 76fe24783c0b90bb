/**
 * init() and exit() of a served function: names already served (in this or
 * another process), stale and foreign files at the socket path, graceful and
 * timed-out shutdown, restarting, and a client that follows servers as they
 * come and go.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode, LIPClient, LIPConnectionError, LIPError, LIPModule } from '../src/index.js';
import { serveFixture, startFixture } from './helpers/fixture-server.js';
import { FIXTURES } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

test('init() refuses a name a live server already serves, in another process', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'core-server.ts', dir);
  const add = LIPModule({ logLevel: 'silent', socketDir: dir })(function add(a: number, b: number) {
    return a - b;
  });
  await assert.rejects(add.init(), (e: unknown) => e instanceof LIPError && e.code === ErrorCode.AlreadyServed && /already served/.test(e.message));
  // The live server was not taken over.
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('add', [2, 3]), 5);
});

test('init() refuses a second function with the same name in this process, with a clear message', async (t) => {
  const dir = socketDir(t);
  const one = LIPModule({ logLevel: 'silent', socketDir: dir, name: 'twin' })(() => 1);
  const two = LIPModule({ logLevel: 'silent', socketDir: dir, name: 'twin' })(() => 2);
  await one.init();
  t.after(() => one.exit());
  await assert.rejects(two.init(), /already served by another function in this process/);
  await assert.rejects(one.init(), /already served/);
});

test('a stale socket file left by a crashed server is replaced', async (t) => {
  const dir = socketDir(t);
  const path = join(dir, 'lipcm-phoenix.sock');
  const crashed = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'stale-socket.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => crashed.stdout.on('data', () => resolve()));
  crashed.kill('SIGKILL');
  await new Promise((r) => crashed.once('exit', r));
  assert.ok(lstatSync(path).isSocket(), 'the stale file is still there');

  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.deepEqual(await client.listSockets(), [{ name: 'phoenix', path, state: 'stale' }]);
  assert.deepEqual(await client.listFunctions(), []);
  await assert.rejects(client.callFunction('phoenix', []), LIPConnectionError);

  const phoenix = LIPModule({ logLevel: 'silent', socketDir: dir })(function phoenix() {
    return 'risen';
  });
  await phoenix.init();
  t.after(() => phoenix.exit());
  assert.equal(await client.callFunction('phoenix'), 'risen');
});

test('init() refuses to replace a file that is not a socket', async (t) => {
  const dir = socketDir(t);
  writeFileSync(join(dir, 'lipcm-precious.sock'), 'data');
  const precious = LIPModule({ logLevel: 'silent', socketDir: dir })(function precious() {});
  await assert.rejects(precious.init(), /not a socket/);
  assert.ok(existsSync(join(dir, 'lipcm-precious.sock')));
});

test('exit() lets a running call finish, refuses new ones, and removes the socket file', async (t) => {
  const { dir, server, client } = await serveFixture(t, 'core-server.ts');
  const slow = client.callFunction('sleep', [2000, 'finished']);
  // Signalled once the call runs there: a fixed head start lost the race on a loaded machine.
  await until(async () => (await client.stats('sleep')).inFlight === 1);
  server.child.kill('SIGTERM'); // the fixture calls exit() on every function
  assert.equal(await slow, 'finished');
  assert.equal(await server.exited, 0);
  assert.match(server.output(), /EXITED/);
  for (const name of ['add', 'sleep', 'echo']) assert.equal(existsSync(join(dir, `lipcm-${name}.sock`)), false, `${name} socket removed`);
});

test('exit() answers new calls on open connections with a shutting-down error', async (t) => {
  const dir = socketDir(t);
  const gate = { open: () => {} };
  const hold = LIPModule({ logLevel: 'silent', socketDir: dir })(function hold() {
    return new Promise<string>((resolve) => (gate.open = () => resolve('done')));
  });
  await hold.init();
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  const running = client.callFunction('hold');
  await until(() => hold.stats().inFlight === 1);
  const exiting = hold.exit();
  await assert.rejects(client.callFunction('hold'), (e: unknown) => e instanceof LIPConnectionError && e.code === ErrorCode.ShuttingDown);
  gate.open();
  assert.equal(await running, 'done');
  await exiting;
  assert.equal(existsSync(join(dir, 'lipcm-hold.sock')), false);
});

test('exit() gives up on a call that outlives its timeout, and still cleans up', async (t) => {
  const dir = socketDir(t);
  const forever = LIPModule({ logLevel: 'silent', socketDir: dir })(function forever() {
    return new Promise(() => {});
  });
  await forever.init();
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  const outcome = client.callFunction('forever').catch((e: unknown) => e);
  await until(() => forever.stats().inFlight === 1);
  await forever.exit({ timeoutMs: 100 });
  assert.ok((await outcome) instanceof LIPConnectionError);
  assert.equal(existsSync(join(dir, 'lipcm-forever.sock')), false);
});

test('init() works again after exit(), and the same client reconnects', async (t) => {
  const dir = socketDir(t);
  let generation = 1;
  const gen = LIPModule({ logLevel: 'silent', socketDir: dir })(function gen() {
    return generation;
  });
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  await gen.init();
  assert.equal(await client.callFunction('gen'), 1);
  await gen.exit();
  await assert.rejects(client.callFunction('gen'), LIPError);
  generation = 2;
  await gen.init();
  t.after(() => gen.exit());
  assert.equal(await client.callFunction('gen'), 2);
});

test('the same client keeps working after the server process restarts', async (t) => {
  const { dir, server: first, client } = await serveFixture(t, 'core-server.ts');
  assert.equal(await client.callFunction('add', [1, 1]), 2);
  first.child.kill('SIGKILL');
  await first.exited;
  await assert.rejects(client.callFunction('add', [1, 1]), LIPConnectionError);
  const second = await startFixture(t, 'core-server.ts', dir);
  assert.equal(await client.callFunction('add', [2, 2]), 4);
  assert.notEqual(first.child.pid, second.child.pid);
});

test('refreshSockets() finds functions started after the client scanned', async (t) => {
  const dir = socketDir(t);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.deepEqual(await client.listFunctions(), []);
  const late = LIPModule({ logLevel: 'silent', socketDir: dir })(function late() {
    return 'here';
  });
  await late.init();
  t.after(() => late.exit());
  assert.deepEqual(await client.listFunctions(), []);
  assert.deepEqual(await client.refreshSockets(), ['late']);
  assert.deepEqual(await client.listFunctions(), ['late']);
});

test('exit() called while init() is still starting stops what init() started', async (t) => {
  const dir = socketDir(t);
  const early = LIPModule({ logLevel: 'silent', socketDir: dir })(function early() {
    return 1;
  });
  const starting = early.init();
  await early.exit();
  await starting;
  assert.equal(early.serving, false);
  assert.equal(existsSync(join(dir, 'lipcm-early.sock')), false);
});

test('a server killed after this client probed and called it is listed as stale, not live', async (t) => {
  // Before: the kind remembered from the first probe made every later listing say live, even after
  // refreshSockets(), while a new client said stale.
  const { client, server } = await serveFixture(t, 'core-server.ts');
  assert.ok((await client.listFunctions()).includes('add'));
  assert.equal(await client.callFunction('add', [2, 3]), 5);
  server.child.kill('SIGKILL');
  await server.exited;
  await until(async () => (await client.listFunctions()).length === 0);
  assert.ok((await client.listSockets()).every((s) => s.state === 'stale'));
  await client.refreshSockets();
  assert.deepEqual(await client.listFunctions(), []);
});
