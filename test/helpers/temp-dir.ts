/** Fresh temp directories for one test, removed after it even when it fails. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { TestContext } from 'node:test';

/** The part of a TestContext these helpers use: long-running scripts pass their own. */
export type AfterHook = Pick<TestContext, 'after'>;

/** A fresh directory named `<prefix>XXXXXX`, removed after the test. */
export function tempDir(t: AfterHook, prefix: string): string {
  const dir = mkdtempSync(prefix);
  // Hooks run in the order they were added, so a server started after this may still be running and
  // put its socket file back (its guard does) between the removal's unlinks and its rmdir: try again.
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }));
  return dir;
}

/** A short temp directory (socket paths must stay under 107 bytes), removed after the test. */
export function socketDir(t: AfterHook): string {
  return tempDir(t, '/tmp/lipt-');
}
