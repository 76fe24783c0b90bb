/**
 * Runs `lip up --json` for the tests: its events (one JSON line each on stdout) as they come, a
 * bounded wait for one, and the process SIGKILLed (with its module processes) after the test.
 */
import type { ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { watchOutput } from './child-output.js';
import { spawnLip } from './lip-cli.js';

export interface UpEventLine {
  event: string;
  module: string;
  pid?: number;
  functions?: { name: string; path: string }[];
  reload?: boolean;
  message?: string;
  afterMs?: number;
  signal?: string | null;
}

export interface Up {
  child: ChildProcess;
  events(): UpEventLine[];
  /** Waits until the events satisfy `check` (bounded); resolves with the first event that does, if one does alone. */
  waitForEvents(check: (events: UpEventLine[]) => boolean, timeoutMs?: number): Promise<void>;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startUp(t: TestContext, args: readonly string[], dir: string, env: Record<string, string> = {}, cwd?: string): Up {
  const child = spawnLip(['up', '--json', ...args], dir, env, { detached: true, ...(cwd ? { cwd } : {}) });
  const output = watchOutput(child, 'lip up');
  const events = () =>
    output
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as UpEventLine);
  t.after(() => {
    // The whole group: lip up and its module processes.
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  return {
    child,
    events,
    waitForEvents: (check, timeoutMs = 20_000) => output.waitFor(() => check(events()), timeoutMs),
    stderr: output.stderr,
    exited: output.closed,
  };
}

/** The events of `name` (a module label) of kind `event`. */
export function eventsOf(events: UpEventLine[], module: string, event: string): UpEventLine[] {
  return events.filter((e) => e.module === module && e.event === event);
}
