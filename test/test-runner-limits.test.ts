/**
 * scripts/run-tests.mjs (what `npm test` and CI run) can't be stalled by one test: a file whose test
 * passes but leaves handles open ends, and a run past its limit is stopped with everything it started.
 * (CI once ran past its 90 minutes on a test that waited for hours.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FIXTURES, ROOT } from './helpers/paths.js';
import { alive } from './helpers/process-alive.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

function runTests(t: TestContext, file: string, env: Record<string, string>): Promise<{ code: number | null; output: string; childPid: number }> {
  const pidFile = join(tempDir(t, '/tmp/lip-runner-'), 'child.pid');
  // Without this the inner runner would take itself for a file of this run and report to it.
  const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
  const runner = spawn(process.execPath, ['scripts/run-tests.mjs', join(FIXTURES, 'runner', file)], {
    cwd: ROOT,
    env: { ...outer, ...env, RUNNER_CHILD_PID_FILE: pidFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => runner.kill('SIGKILL'));
  let output = '';
  runner.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  runner.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  return new Promise((resolve) => runner.once('close', (code) => resolve({ code, output, childPid: Number(readFileSync(pidFile, 'utf8')) })));
}

test('a test that passes but leaves a timer and a child running: its file ends, the run passes, the child is gone', { timeout: 60_000 }, async (t) => {
  const { code, output, childPid } = await runTests(t, 'leaves-handles.ts', {});
  assert.equal(code, 0, output);
  assert.match(output, /ℹ pass 1/);
  await until(() => !alive(childPid), 5000);
});

test('a run past its limit is stopped and fails, saying so, with the processes its tests started', { timeout: 60_000 }, async (t) => {
  const { code, output, childPid } = await runTests(t, 'hangs.ts', { LIP_TEST_RUN_LIMIT_MS: '3000' });
  assert.notEqual(code, 0);
  assert.match(output, /the suite ran past 3 s; stopping it/);
  await until(() => !alive(childPid), 5000);
});
