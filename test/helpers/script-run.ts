/**
 * The frame of a long test script (`npm run soak`, `fuzz`, `attack`): the body gets an after-hook
 * as a test's context has, so it can use the same helpers; what it registered is undone in reverse
 * order at the end, and the process exits 1 if the body threw or said the run failed.
 */
import type { AfterHook } from './temp-dir.js';

export async function runScript(body: (t: AfterHook) => Promise<{ failed: boolean }>): Promise<never> {
  const cleanups: (() => unknown)[] = [];
  const t: AfterHook = { after: (fn) => void cleanups.push(fn as () => unknown) };
  let failed = true;
  try {
    ({ failed } = await body(t));
  } catch (error) {
    console.error(error);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
  process.exit(failed ? 1 : 0);
}
