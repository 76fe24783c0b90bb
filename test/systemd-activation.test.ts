/**
 * systemd socket activation: `lip serve` started by systemd-socket-activate (which passes a real
 * listening socket as systemd does: LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID) serves its function on
 * that socket, started on demand by the first call; `lip unit` prints a matching .socket + .service.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { watchOutput } from './helpers/child-output.js';
import { fixture, LIP, lip } from './helpers/lip-cli.js';
import { socketDir, tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const ACTIVATE = '/usr/bin/systemd-socket-activate';

test('a call to a socket systemd holds starts lip serve on demand and is answered', {
  skip: !existsSync(ACTIVATE) && 'no systemd-socket-activate',
}, async (t) => {
  const dir = socketDir(t);
  const path = join(dir, 'lipcm-alpha.sock');
  const activate = spawn(
    ACTIVATE,
    ['-l', path, '--fdname=alpha', process.execPath, LIP, 'serve', fixture('up-alpha.mjs'), '--log-level', 'warning', '--socket-dir', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => activate.kill('SIGKILL'));
  const output = watchOutput(activate, 'systemd-socket-activate');
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (existsSync(path)) {
        clearInterval(poll);
        resolve();
      } else if (activate.exitCode !== null) reject(new Error(output.stderr()));
    }, 10);
  });
  // Nothing is served yet: systemd-socket-activate only listens.
  assert.equal(output.stdout(), '');
  const client = new LIPClient({ socketDir: dir, timeoutMs: 20_000, connectTimeoutMs: 20_000 });
  t.after(() => client.destroy());
  const answer = await client.callFunction<string>('alpha');
  const [, pid] = /^alpha from (\d+)$/.exec(answer) ?? [];
  assert.ok(pid, answer);
  // systemd-socket-activate execs the command in its own child: the process that answered is that one.
  await output.waitFor(`serving alpha() at ${path}`);
  assert.equal(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1], LIP);
  assert.equal((await client.stats('alpha')).calls, 1);
  // Stopping leaves the socket file to its owner (systemd removes it with RemoveOnStop=).
  assert.equal(await client.stop('alpha'), true);
  await output.closed;
  assert.ok(readdirSync(dir).includes('lipcm-alpha.sock'));
});

test('a passed socket that matches no function is named in a warning; the function binds its own', {
  skip: !existsSync(ACTIVATE) && 'no systemd-socket-activate',
}, async (t) => {
  const dir = socketDir(t);
  const other = join(dir, 'other.sock');
  const activate = spawn(
    ACTIVATE,
    ['-l', other, '--fdname=other', process.execPath, LIP, 'serve', fixture('up-alpha.mjs'), '--log-level', 'warning', '--socket-dir', dir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => activate.kill('SIGKILL'));
  const output = watchOutput(activate, 'systemd-socket-activate');
  await until(() => existsSync(other));
  // The first connection starts it.
  createConnection(other).on('error', () => {});
  await output.waitFor(`serving alpha() at ${join(dir, 'lipcm-alpha.sock')}`);
  assert.match(output.stderr(), /sockets passed by systemd that match no function served here: other/);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.match(await client.callFunction<string>('alpha'), /^alpha from /);
});

test('lip unit prints a .socket and .service pair that match', async (t) => {
  const out = tempDir(t, '/tmp/lipu-');
  const printed = await lip(['unit', 'add', '--module', fixture('cli-math.ts'), '--socket-dir', '/run/lip', '--user', 'app', '--socket-mode', '0660']);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /^# lip-add\.socket$/m);
  assert.match(printed.stdout, /^ListenStream=\/run\/lip\/lipcm-add\.sock$/m);
  assert.match(printed.stdout, /^FileDescriptorName=add$/m);
  assert.match(printed.stdout, /^SocketMode=0660$/m);
  assert.match(printed.stdout, /^SocketUser=app$/m);
  assert.match(printed.stdout, /^# lip-add\.service$/m);
  assert.match(printed.stdout, /^Requires=lip-add\.socket$/m);
  assert.match(
    printed.stdout,
    new RegExp(`^ExecStart=${process.execPath} ${LIP} serve ${fixture('cli-math.ts')} --only add --socket-dir /run/lip --grace 10000$`, 'm'),
  );
  assert.match(printed.stdout, /^User=app$/m);

  const written = await lip(['unit', 'add', '--module', fixture('cli-math.ts'), '--socket-dir', '/run/lip', '--out-dir', out]);
  assert.equal(written.code, 0, written.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['lip-add.service', 'lip-add.socket']);
  const analyze = spawnSync('systemd-analyze', ['verify', join(out, 'lip-add.socket'), join(out, 'lip-add.service')], { encoding: 'utf8' });
  if (analyze.error) t.diagnostic('systemd-analyze is not installed: content checked only');
  else {
    // It may complain about the machine (no running systemd); about our files it must say nothing.
    const ours = analyze.stderr.split('\n').filter((l) => l.includes('lip-add'));
    assert.deepEqual(ours, [], analyze.stderr);
  }

  assert.equal((await lip(['unit', 'a/b', '--module', 'x.js'])).code, 2);
  assert.equal((await lip(['unit', 'add'])).code, 2, '--module is required');
});
