/** `lip health NAME...`: 0 when every function answers a ping in time, 1 otherwise, with one line per function saying why. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture, lip, serve } from './helpers/lip-cli.js';
import { socketDir } from './helpers/temp-dir.js';

test('lip health: live functions pass; a dead (stale) and a missing one fail with their reason', async (t) => {
  const dir = socketDir(t);
  await serve(t, [fixture('cli-math.ts'), '--only', 'add,greet', '--log-level', 'silent'], dir, 2);
  const stale = join(dir, 'lipcm-ghost.sock');
  spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.ok(existsSync(stale));

  const live = await lip(['health', 'add', 'greet'], dir);
  assert.equal(live.code, 0, live.stderr);
  assert.match(live.stdout, /^ok add [\d.]+ ms$/m);
  assert.match(live.stdout, /^ok greet [\d.]+ ms$/m);

  const mixed = await lip(['health', 'add', 'ghost', 'nope', '--timeout', '500'], dir);
  assert.equal(mixed.code, 1);
  assert.match(mixed.stdout, /^ok add /m);
  assert.match(mixed.stdout, /^fail ghost: nobody is listening at .*lipcm-ghost\.sock/m);
  assert.match(mixed.stdout, /^fail nope: Function 'nope' not found/m);
  assert.match(mixed.stderr, /unhealthy: ghost, nope/);

  const json = await lip(['health', 'add', 'nope', '--json'], dir);
  assert.equal(json.code, 1);
  const verdicts = JSON.parse(json.stdout) as { name: string; ok: boolean; code?: string }[];
  assert.deepEqual(
    verdicts.map((v) => [v.name, v.ok, v.code]),
    [
      ['add', true, undefined],
      ['nope', false, 'ERR_LIP_NOT_FOUND'],
    ],
  );
});

test('lip health: a function that does not answer within --timeout fails', async (t) => {
  const dir = socketDir(t);
  const served = await serve(t, [fixture('cli-math.ts'), '--only', 'add', '--log-level', 'silent'], dir, 1);
  // A stopped process keeps its socket listening but never answers: the kernel accepts, nobody replies.
  served.child.kill('SIGSTOP');
  t.after(() => served.child.kill('SIGCONT'));
  const result = await lip(['health', 'add', '--timeout', '300'], dir);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^fail add: .*300 ms/m);
});
