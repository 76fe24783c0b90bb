/**
 * `lip serve` exits when its functions have stopped, even when the module it serves keeps a timer
 * running (before, the process outlived its functions: SIGTERM, `lip stop` and a usage error each left
 * it running, and `lip up` SIGKILLed it after its grace).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fixture, lip, serve, spawnLip } from './helpers/lip-cli.js';
import { socketDir } from './helpers/temp-dir.js';

const TIMER = fixture('cli-timer.js');

test('SIGTERM: lip serve stops the function and exits 0 although the module keeps a timer', { timeout: 30_000 }, async (t) => {
  const dir = socketDir(t);
  const server = await serve(t, [TIMER], dir, 1);
  server.child.kill('SIGTERM');
  const exited = await server.exited;
  assert.equal(exited.code, 0, exited.stderr);
  assert.match(exited.stdout, /^stopped tick$/m);
  assert.deepEqual(readdirSync(dir), []);
});

test('lip stop: lip serve exits once its last function was stopped by a client', { timeout: 30_000 }, async (t) => {
  const dir = socketDir(t);
  const server = await serve(t, [TIMER], dir, 1);
  assert.equal((await lip(['stop', 'tick'], dir)).code, 0);
  const exited = await server.exited;
  assert.equal(exited.code, 0, exited.stderr);
  assert.match(exited.stdout, /stopped tick \(asked by a client\)/);
});

test('a usage error exits 2 although the loaded module keeps a timer', { timeout: 30_000 }, async (t) => {
  const dir = socketDir(t);
  const child = spawnLip(['serve', TIMER, '--only', 'nope'], dir);
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /nope/);
});
