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
  /** Waits until the child prints a line containing `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
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
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const waitFor = (text: string, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stdout.includes(text)) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`fixture ${name} did not print ${JSON.stringify(text)} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, timeoutMs);
      listeners.add(check);
      void exited.then(() => {
        if (!stdout.includes(text)) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`fixture ${name} exited before printing ${JSON.stringify(text)}\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      });
      check();
    });
  await waitFor('READY');
  return { child, output: () => stdout, errors: () => stderr, exited, waitFor };
}

/** Polls `check` every 10 ms until it returns true (bounded). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
