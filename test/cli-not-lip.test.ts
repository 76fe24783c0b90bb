/**
 * A socket in the directory whose server answers neither as lipmodule nor as the Python original:
 * `lip call`, `lip ls` and `lip stop --all` all call it "not a LIP server", and none takes it for the
 * original.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { watchOutput } from './helpers/child-output.js';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, lip } from './helpers/lip-cli.js';

// A server that closes every connection without a word is not here: the client can't tell it from a
// server going away (connection closed), so it is reported as unreachable.
const MODES = ['echo', 'frame', 'text'];

test('a server that is not a LIP server is described as one everywhere', async (t) => {
  const dir = socketDir(t);
  const server = spawn(process.execPath, [fixture('not-lip-server.mjs'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => server.kill('SIGKILL'));
  await watchOutput(server, 'not-lip-server').waitFor('READY');

  for (const mode of MODES) {
    const called = await lip(['call', mode], dir);
    assert.equal(called.code, 5, `${mode}: ${called.stderr}`);
    assert.match(called.stderr, new RegExp(`^lip: error: '${mode}' is not a LIP server: `, 'm'), mode);
    assert.doesNotMatch(called.stderr, /served by the Python original/, mode);
  }

  const listed = await lip(['ls', '--json'], dir);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as { name: string; state: string; error?: string }[];
  assert.deepEqual(
    rows.map((r) => [r.name, r.state]),
    MODES.map((m) => [m, 'not-lip']),
  );
  for (const row of rows) assert.match(row.error ?? '', /is not a LIP server/, row.name);
  const table = await lip(['ls'], dir, { NO_COLOR: '1' });
  assert.equal(table.code, 0, table.stderr);
  for (const mode of MODES) assert.match(table.stdout, new RegExp(`^${mode} .*not a LIP server.*not LIP\\s*$`, 'm'), table.stdout);

  const stopped = await lip(['stop', '--all'], dir);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.doesNotMatch(stopped.stderr, /the Python original cannot/);
  for (const mode of MODES) assert.match(stopped.stderr, new RegExp(`^skipped ${mode}: not a LIP server`, 'm'), stopped.stderr);
  assert.match(stopped.stdout, /nothing to stop/);

  const one = await lip(['stop', 'echo'], dir);
  assert.equal(one.code, 5, one.stderr);
  assert.match(one.stderr, /'echo' is not a LIP server/);
});
