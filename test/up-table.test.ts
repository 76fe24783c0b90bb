/**
 * `lip up` on a terminal (a pseudo-terminal from script(1)): one table of functions, redrawn in place,
 * with the live figures from each function's stats; Ctrl-C drains and exits 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { watchOutput } from './helpers/child-output.js';
import { fixture, LIP } from './helpers/lip-cli.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const SCRIPT = '/usr/bin/script';
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, 'g');
const plain = (text: string) => text.replace(ANSI, '').replace(/\r/g, '');

test('on a terminal: a live table with state, pid, calls and restarts; Ctrl-C stops', {
  skip: !existsSync(SCRIPT) && 'no script(1)',
  timeout: 60_000,
}, async (t) => {
  const dir = socketDir(t);
  const command = `exec ${process.execPath} ${LIP} up ${fixture('up-alpha.mjs')} ${fixture('up-beta.mjs')} --log-level warning`;
  const terminal = spawn(SCRIPT, ['-qefc', command, '/dev/null'], {
    env: { ...process.env, LIP_SOCKET_DIR: dir, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => terminal.kill('SIGKILL'));
  const output = watchOutput(terminal, 'lip up on a terminal');
  await output.waitFor((out) => /^alpha\s+serving\s+\d+/m.test(plain(out)) && /^beta\s+serving\s+\d+/m.test(plain(out)), 30_000);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  for (let i = 0; i < 3; i++) await client.callFunction('alpha');
  // The figures come from stats, refreshed every second.
  await output.waitFor((out) => /^alpha\s+serving\s+\d+\s+3\s+0\s+[\d.]+ ms \/ [\d.]+ ms\s+0$/m.test(plain(out)), 20_000);
  assert.match(plain(output.stdout()), /FUNCTION\s+STATE\s+PID\s+CALLS\s+ERRORS\s+P50 \/ P99\s+RESTARTS/);
  assert.ok(new RegExp(`${ESC}\\[\\d+F${ESC}\\[0J`).test(output.stdout()), 'redrawn in place');
  // Ctrl-C as the terminal sends it: SIGINT to lip up (script's child).
  const lipPid = Number(readFileSync(`/proc/${terminal.pid}/task/${terminal.pid}/children`, 'utf8').trim().split(' ')[0]);
  process.kill(lipPid, 'SIGINT');
  const { code } = await output.closed;
  assert.equal(code, 0, output.stdout());
  await until(() => !existsSync(`${dir}/lipcm-alpha.sock`));
  assert.match(plain(output.stdout()), /^alpha\s+stopped/m);
});
