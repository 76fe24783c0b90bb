/** Fixture servers (test/fixtures/*.ts) run in real child processes, one per test. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { LIPClient, type LIPClientOptions } from '../../src/index.js';
import { type WatchedOutput, watchOutput } from './child-output.js';
import { FIXTURES } from './paths.js';
import { type AfterHook, socketDir } from './temp-dir.js';

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

/** A fixture serving in its own socket directory, and a client of it. */
export interface ServedFixture {
  dir: string;
  server: ServerProcess;
  client: LIPClient;
}

/**
 * What most end-to-end tests start with: a fresh socket directory, `test/fixtures/<name>` serving
 * in it (`env` added to its environment), and a client of it (`client`: its options besides
 * `socketDir`); the directory, the process and the client are all gone after the test.
 */
export async function serveFixture(
  t: AfterHook,
  name: string,
  options: { env?: Record<string, string>; client?: Omit<LIPClientOptions, 'socketDir'> } = {},
): Promise<ServedFixture> {
  const dir = socketDir(t);
  const server = await startFixture(t, name, dir, options.env);
  const client = new LIPClient({ ...options.client, socketDir: dir });
  t.after(() => client.destroy());
  return { dir, server, client };
}
