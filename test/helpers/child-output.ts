/** A child process's output, collected as it comes, and a bounded wait for what it prints. */
import type { ChildProcess } from 'node:child_process';

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
  // A generous bound: a fixture compiled by tsx on a loaded machine took over 20 s to print READY.
  const waitFor = (text: string | ((out: string) => boolean), timeoutMs = 60_000) =>
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
      const timer = setTimeout(
        () => finish(new Error(`${label} did not print ${what} within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`)),
        timeoutMs,
      );
      listeners.add(check);
      check();
    });
  return { stdout: () => stdout, stderr: () => stderr, closed, waitFor };
}
