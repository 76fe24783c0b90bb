/**
 * A real second Unix user for tests of what other local users can do: made with
 * `useradd` for one test, removed with `userdel` after it, and processes run as
 * it with `runuser`. Only root can do this; tests skip with SECOND_USER_SKIP otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { watchOutput, type WatchedOutput } from './child-output.js';

/** `skip` for tests that need a second user: false when we are root, else why they skip. */
export const SECOND_USER_SKIP: false | string =
  process.getuid?.() === 0 ? false : 'needs root: the test creates a second Unix user with useradd and runs code as it with runuser';

export interface SecondUser {
  name: string;
  uid: number;
  gid: number;
  /**
   * Runs `node -e script ...args` as this user. The child's stdin stays open: a script that
   * exits when stdin ends cannot outlive the test. Killed (SIGTERM, then SIGKILL) after the test.
   */
  node(script: string, args: string[]): RunningAs;
}

export interface RunningAs extends WatchedOutput {
  child: ChildProcess;
  /** Closes the child's stdin (a polite "stop") and waits for it to exit. */
  stop(): Promise<void>;
}

/** Creates a user with no home, group or login shell; `userdel` removes it after the test. */
export function secondUser(t: TestContext): SecondUser {
  const name = `lipatk${randomBytes(4).toString('hex')}`;
  // Tests run in parallel: another test may hold /etc/passwd's lock for a moment.
  retry(() => execFileSync('useradd', ['-M', '-N', '-s', '/usr/sbin/nologin', name], { stdio: 'pipe' }));
  const running = new Set<RunningAs>();
  t.after(async () => {
    await Promise.all([...running].map((r) => r.stop()));
    retry(() => execFileSync('userdel', [name], { stdio: 'pipe' }));
  });
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return {
    name,
    uid,
    gid,
    node(script, args) {
      const child = spawn('runuser', ['-u', name, '--', process.execPath, '-e', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      const output = watchOutput(child, `node as ${name}`);
      const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.stdin!.end();
        // runuser passes SIGTERM on to the child it runs.
        const term = setTimeout(() => child.kill('SIGTERM'), 5000);
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await output.closed;
        clearTimeout(term);
        clearTimeout(kill);
      };
      const runningAs: RunningAs = { ...output, child, stop };
      running.add(runningAs);
      return runningAs;
    },
  };
}

function retry(action: () => unknown): void {
  for (let attempt = 1; ; attempt++) {
    try {
      action();
      return;
    } catch (error) {
      // "cannot lock /etc/passwd; try again later": another test is adding or removing its user.
      const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
      if (attempt >= 50 || !/lock/i.test(stderr)) throw error;
      execFileSync('sleep', ['0.1']);
    }
  }
}
