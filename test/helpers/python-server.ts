/** The Python original's stand-in server (test/python/lip_server.py) in a child process, for one test. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { watchOutput } from './child-output.js';
import { ROOT } from './paths.js';
import type { AfterHook } from './temp-dir.js';

/** Debian's python3, which has cbor2 (`apt-get install python3-cbor2`). */
export const PYTHON = '/usr/bin/python3';
export const PY_SERVER = join(ROOT, 'test/python/lip_server.py');
export const PY_CLIENT = join(ROOT, 'test/python/lip_client.py');

/**
 * Starts the Python server in `dir` (its functions are named py_*) with `args` after `--dir`;
 * resolves once it prints READY. SIGTERMed after the test, which waits for it to exit.
 */
export async function startPythonServer(t: AfterHook, dir: string, args: readonly string[] = []): Promise<void> {
  const child = spawn(PYTHON, [PY_SERVER, '--dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = watchOutput(child, 'python server');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await output.closed;
    }
  });
  await output.waitFor('READY');
}
