/**
 * The public controls `lip serve` is built on: `closed` (settles when the function stops serving,
 * whoever stopped it), `logLevel` / `setLogLevel()` (seen in a real server's stderr), and
 * `LIPModule.functionsOf()` over a real module file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LIPClient, LIPModule } from '../src/index.js';
import { watchOutput } from './helpers/child-output.js';
import { FIXTURES } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

/** The controls fixture in a child process, taking orders on stdin. */
async function startControls(t: TestContext, dir: string, level: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'controls-server.ts')], {
    env: { ...process.env, LIP_SOCKET_DIR: dir, LOG_LEVEL: level },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const output = watchOutput(child, 'controls-server.ts');
  await output.waitFor('READY');
  return { child, output, order: (line: string) => child.stdin!.write(`${line}\n`) };
}

const debugCallLines = (stderr: string) => stderr.split('\n').filter((line) => line.includes('"level":20') && line.includes("call 'shout'")).length;

test('closed settles when exit() has stopped the function', async (t) => {
  const dir = socketDir(t);
  const server = await startControls(t, dir, 'silent');
  assert.doesNotMatch(server.output.stdout(), /CLOSED/, 'pending while served');
  server.order('exit');
  await server.output.waitFor('EXITED');
  assert.match(server.output.stdout(), /CLOSED\n/);
  server.child.stdin!.end();
  assert.equal((await server.output.closed).code, 0);
});

test("closed settles when a client's stop ends the serving", async (t) => {
  const dir = socketDir(t);
  const server = await startControls(t, dir, 'silent');
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('shout', ['hi']), 'HI');
  assert.equal(await client.stop('shout'), true);
  await server.output.waitFor('CLOSED');
  server.child.stdin!.end();
  assert.equal((await server.output.closed).code, 0);
});

test('closed: settled while not served, a new one for each serving', async (t) => {
  const dir = socketDir(t);
  const echo = LIPModule({ logLevel: 'silent', socketDir: dir })(function echo(x: unknown) {
    return x;
  });
  const settled = (promise: Promise<void>) => Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
  assert.equal(await settled(echo.closed), true, 'never served');
  await echo.init();
  const first = echo.closed;
  assert.equal(await settled(first), false, 'served');
  await echo.exit();
  assert.equal(await settled(first), true, 'exited');
  await echo.init();
  assert.equal(await settled(echo.closed), false, 'served again');
  await echo.exit();
  assert.equal(await settled(echo.closed), true);
});

test('setLogLevel changes what a running server logs, and logLevel reads it back', async (t) => {
  const dir = socketDir(t);
  const server = await startControls(t, dir, 'warning');
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  await client.callFunction('shout', ['quiet']);
  assert.equal(debugCallLines(server.output.stderr()), 0, 'no debug lines at warning');

  server.order('level debug');
  await server.output.waitFor('LEVEL debug');
  await client.callFunction('shout', ['loud']);
  // The line is written synchronously before the reply is sent.
  assert.equal(debugCallLines(server.output.stderr()), 1, server.output.stderr());

  server.order('level 40');
  await server.output.waitFor('LEVEL error');
  await client.callFunction('shout', ['quiet again']);
  assert.equal(debugCallLines(server.output.stderr()), 1);
  server.order('exit');
  await server.output.waitFor('EXITED');
  server.child.stdin!.end();
  await server.output.closed;
});

test('setLogLevel refuses an unknown level with a TypeError naming it', () => {
  const fn = LIPModule({ logLevel: 'silent' })(function fn() {});
  assert.equal(fn.logLevel, 'silent');
  assert.throws(() => fn.setLogLevel('loud' as never), { name: 'TypeError', message: /setLogLevel\(level\).*"loud"/ });
  assert.equal(fn.logLevel, 'silent', 'unchanged');
  fn.setLogLevel('critical');
  assert.equal(fn.logLevel, 'critical');
});

test('LIPModule.functionsOf lists what a module file serves: wrapped functions once, decorated methods, nothing else', async (t) => {
  const module = (await import('./fixtures/exports-module.js')) as typeof import('./fixtures/exports-module.js');
  const found = LIPModule.functionsOf(module);
  assert.deepEqual(
    found.map((fn) => fn.lipName),
    ['add', 'area', 'perimeter'],
  );
  assert.equal(found[0], module.add, 'a wrapped function is listed as itself');
  assert.deepEqual(LIPModule.functionsOf(module), found, 'the same objects each time');
  assert.deepEqual(LIPModule.functionsOf({}), []);

  // A decorated method's controls serve it, bound to its instance.
  const dir = socketDir(t);
  const area = found[1]!;
  assert.equal(area.describe().signature, 'area(w, h)');
  await area.init({ socketDir: dir });
  const client = new LIPClient({ socketDir: dir });
  try {
    assert.equal(await client.callFunction('area', [3, 4]), 12);
    assert.equal(area.stats().calls, 1);
  } finally {
    client.destroy();
    await area.exit();
  }
  assert.equal(area.serving, false);
});
