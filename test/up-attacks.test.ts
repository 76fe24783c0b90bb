/**
 * Attacks on what `lip up` added (issue 20): restart notices that make clients wait, take-over, socket
 * activation, the supervisor's config and its handling of misbehaving modules.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { CliError } from '../src/cli/exit-codes.js';
import { parseConfig } from '../src/cli/up/config.js';
import { LIPClient } from '../src/index.js';
import { watchOutput } from './helpers/child-output.js';
import { fixture, LIP, lip } from './helpers/lip-cli.js';
import { eventsOf, startUp } from './helpers/lip-up.js';
import { SECOND_USER_SKIP, secondUser } from './helpers/second-user.js';
import { socketDir, tempDir } from './helpers/temp-dir.js';

const DIST = resolve(import.meta.dirname, '..', 'dist', 'index.js');

// Writes its own restart notice naming `pid`, then calls the function it announces, printing how that ended.
const STALE_NOTICE_CLIENT = `
const [dist, dir, pid] = process.argv.slice(1);
const { writeFileSync } = await import('node:fs');
const { LIPClient } = await import(dist);
writeFileSync(dir + '/lipcm-gone.restarting', pid + '\\n');
const client = new LIPClient({ socketDir: dir });
const started = Date.now();
try {
  await client.callFunction('gone', [], undefined, { timeoutMs: 8000 });
  console.log('ANSWERED');
} catch (error) {
  console.log('DONE ' + error.name + ' ' + (Date.now() - started));
}
client.destroy();
`;

test("a user's own stale restart notice whose pid now belongs to another user's process makes nobody wait", { skip: SECOND_USER_SKIP }, async (t) => {
  const user = secondUser(t);
  // The victim's client runs the library as that user: a checkout others can't read (CI's may be) can't be used.
  if (spawnSync('runuser', ['-u', user.name, '--', 'test', '-r', DIST]).status !== 0) {
    t.skip(`${user.name} can't read ${DIST}: a private checkout`);
    return;
  }
  const parent = socketDir(t);
  chmodSync(parent, 0o711);
  const dir = join(parent, 'victim');
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, user.uid, user.gid);
  // The supervisor that wrote the notice died and its pid went to a process of someone else (here: this
  // test's process, root's): signalling it gives EPERM, which is not "our supervisor is alive".
  const client = user.node(STALE_NOTICE_CLIENT, [DIST, dir, String(process.pid)]);
  await client.waitFor('DONE', 15_000);
  const [, name, ms] = client.stdout().trim().split(' ');
  assert.equal(name, 'LIPNotFoundError', client.stdout() + client.stderr());
  assert.ok(Number(ms) < 4000, `failed at once, not after waiting out the deadline (${ms} ms)`);
});

test('lip up ends when told to stop even if a module is hung in a call: it is killed after its grace', { timeout: 45_000 }, async (t) => {
  const dir = socketDir(t);
  const work = tempDir(t, '/tmp/lipw-');
  writeFileSync(join(work, 'lip.config.json'), JSON.stringify({ grace: 300, logLevel: 'warning', modules: [fixture('up-spin.mjs')] }));
  const up = startUp(t, [], dir, {}, work);
  await up.waitForEvents((events) => eventsOf(events, 'up-spin.mjs', 'serving').length === 1);
  const pid = eventsOf(up.events(), 'up-spin.mjs', 'serving')[0]!.pid!;
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  const spinning = client.callFunction('spin', [], undefined, { timeoutMs: 30_000 }).catch((error: unknown) => error);
  // The call is running (the process is busy) once a ping goes unanswered.
  const prober = new LIPClient({ socketDir: dir });
  t.after(() => prober.destroy());
  let busy = false;
  for (let attempt = 0; attempt < 40 && !busy; attempt++)
    busy = await prober.ping('spin', { timeoutMs: 500 }).then(
      () => false,
      () => true,
    );
  assert.ok(busy, 'the spinning call keeps the process busy');
  process.kill(up.child.pid!, 'SIGTERM');
  const exited = await Promise.race([up.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
  assert.deepEqual(exited, { code: 0, signal: null }, up.stderr());
  assert.equal(eventsOf(up.events(), 'up-spin.mjs', 'exited')[0]?.signal, 'SIGKILL');
  assert.throws(() => process.kill(pid, 0), 'the hung module process is gone');
  assert.ok((await spinning) instanceof Error);
});

test('lip.config.json values that would fork thousands of processes, cannot be passed or name nothing are refused, naming the key', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ modules: [{ file: 'a.js', instances: 100_000_000 }] }, /modules\[0\]\.instances must be at most 256/],
    [{ modules: [{ file: 'a.js', env: { A: 'x\u0000y' } }] }, /modules\[0\]\.env: 'A' cannot be passed/],
    [{ modules: [{ file: 'a.js', env: { 'A=B': 'x' } }] }, /modules\[0\]\.env: 'A=B' cannot be passed/],
    [{ modules: [{ file: 'a.js', env: { '': 'x' } }] }, /modules\[0\]\.env: '' cannot be passed/],
    // A watched path that doesn't exist would never reload anything (it was taken silently).
    [{ modules: [{ file: 'a.js', watch: ['./no-such-dir'] }] }, /modules\[0\]\.watch: \.\/no-such-dir does not exist/],
  ];
  for (const [config, message] of cases) {
    assert.throws(
      () => parseConfig(config, 'lip.config.json'),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && message.test(e.message),
      JSON.stringify(config),
    );
  }
  const work = tempDir(t, '/tmp/lipw-');
  const served = await lip(['serve', join(work, 'a.js'), '--instances', '100000'], socketDir(t));
  assert.equal(served.code, 2);
  assert.match(served.stderr, /--instances.*at most 256/);
});

test('a TCP socket passed by socket activation is refused: the function is never served to the network', {
  timeout: 30_000,
  skip: !existsSync('/usr/bin/systemd-socket-activate') && 'no systemd-socket-activate',
}, async (t) => {
  const dir = socketDir(t);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const activate = spawn(
    '/usr/bin/systemd-socket-activate',
    ['-l', `127.0.0.1:${port}`, process.execPath, LIP, 'serve', fixture('up-alpha.mjs'), '--socket-dir', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => activate.kill('SIGKILL'));
  const output = watchOutput(activate, 'systemd-socket-activate');
  // It execs lip serve on the first connection.
  for (let attempt = 0; attempt < 100; attempt++) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.on('connect', () => socket.destroy());
    });
    if (connected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const { code } = await output.closed;
  assert.notEqual(code, 0);
  assert.match(output.stderr(), /inherited socket \(fd 3\).*is not a Unix domain socket; refusing to serve on it/);
  assert.doesNotMatch(output.stdout(), /serving alpha/);
});
