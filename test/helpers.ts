/**
 * Test plumbing: a fresh socket directory per test (removed even when the test
 * fails) and fixture servers run in real child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A short temp directory (socket paths must stay under 107 bytes), removed after the test. */
export function socketDir(t: TestContext): string {
  const dir = mkdtempSync('/tmp/lipt-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

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
export async function startFixture(t: TestContext, name: string, dir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
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

export interface WatchedOutput {
  /** Everything the child printed on stdout so far. */
  stdout(): string;
  /** Everything the child printed on stderr so far. */
  stderr(): string;
  /** Resolves once the child exited and its output is closed. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stdout contains `text` (or satisfies it); rejects if the child ends first or time runs out. */
  waitFor(text: string | ((stdout: string) => boolean), timeoutMs?: number): Promise<void>;
}

/** Collects a child's output and lets a test wait for what it prints. `label` names it in errors. */
export function watchOutput(child: ChildProcess, label: string): WatchedOutput {
  let stdout = '';
  let stderr = '';
  let ended = false;
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      ended = true;
      resolve({ code, signal });
      for (const listener of listeners) listener();
    }),
  );
  const waitFor = (text: string | ((out: string) => boolean), timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const what = typeof text === 'string' ? JSON.stringify(text) : String(text);
      const matches = () => (typeof text === 'string' ? stdout.includes(text) : text(stdout));
      const finish = (error?: Error) => {
        listeners.delete(check);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (matches()) finish();
        else if (ended) finish(new Error(`${label} exited before printing ${what}\nstdout: ${stdout}\nstderr: ${stderr}`));
      };
      const timer = setTimeout(() => finish(new Error(`${label} did not print ${what} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`)), timeoutMs);
      listeners.add(check);
      check();
    });
  return { stdout: () => stdout, stderr: () => stderr, closed, waitFor };
}

/** Polls `check` every 10 ms until it returns true (bounded). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
