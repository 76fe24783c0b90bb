#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner through the tsx loader.
// (Node 20's --test takes no globs, so the files are listed here.)
// A hung test must fail the run with its name, not stall CI: every test has a default timeout, a file's
// process exits once its tests are done whatever handles it left open, and the whole run has a limit.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const TEST_TIMEOUT_MS = 10 * 60_000;
const RUN_LIMIT_MS = Number(process.env.LIP_TEST_RUN_LIMIT_MS) || 35 * 60_000;

function find(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'fixtures' ? [] : find(path);
    return entry.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : find('test').sort();
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-force-exit', ...files];
// Its own process group, so that the limit stops the runner and every test process under it.
const runner = spawn(process.execPath, args, { stdio: 'inherit', detached: true, env: { ...process.env, LIP_TEST: '1' } });
const signalGroup = (signal) => {
  try {
    process.kill(-runner.pid, signal);
  } catch {}
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => signalGroup(signal));
const limit = setTimeout(() => {
  console.error(
    `\nrun-tests: the suite ran past ${Math.round(RUN_LIMIT_MS / 1000)} s; stopping it. The spec reporter holds back a file's results until the files before it have ended: the hung file is the first in sorted order whose results are missing`,
  );
  signalGroup('SIGTERM');
  setTimeout(() => signalGroup('SIGKILL'), 10_000).unref();
}, RUN_LIMIT_MS);
runner.on('exit', (code, signal) => {
  clearTimeout(limit);
  // Whatever a test left behind in the group goes with the run.
  signalGroup('SIGKILL');
  process.exit(code ?? (signal ? 1 : 0));
});
