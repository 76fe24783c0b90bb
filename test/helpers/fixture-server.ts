/** Fixture servers (test/fixtures/*.ts) run in real child processes, one per test. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type WatchedOutput, watchOutput } from './child-output.js';
import { FIXTURES } from './paths.js';
import type { AfterHook } from './temp-dir.js';

export interface ServerProcess {
  child: ChildProcess;
  /** Everything the child printed on stdout so far. */
  output(): string;
  /** Everything the child printed on stderr so far. */
  errors(): string;
  /** Resolves with the exit code (or signal name) once the child is gone. */
  exited: Promise<number | string>;
  /** Waits until the child prints `text` (or stdout satisfies it). */
  waitFor: WatchedOutput['waitFor'];
}

/**
 * Runs `test/fixtures/<name>` (TypeScript, through tsx) with LIP_SOCKET_DIR set;
 * resolves once it prints READY. Killed after the test if still running.
 */
export async function startFixture(t: AfterHook, name: string, dir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, name)], {
    env: { ...process.env, LIP_SOCKET_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = watchOutput(child, `fixture ${name}`);
  const exited = output.closed.then(({ code, signal }) => code ?? signal ?? -1);
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const waitFor = output.waitFor;
  await waitFor('READY');
  return { child, output: output.stdout, errors: output.stderr, exited, waitFor };
}
