/**
 * A function that is restarting (its process crashed and `lip up` starts it again) or reloading (a new
 * process takes its socket over while the old one drains) is out of reach for a moment. Which failures
 * mean that, and how a client waits for it, within the call's deadline. A missing or refused socket is
 * waited for only while its supervisor announces the restart (transport/restart-marker.ts): a name
 * never served, or a server that crashed with nobody to bring it back, still fails at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { remainingMs } from '../call/deadline.js';
import { ErrorCode, LIPConnectionError, LIPNotFoundError } from '../errors.js';
import { SWAPPED_WHILE_CONNECTING } from '../transport/trusted-connect.js';
import { callAborted, callTimedOut } from './call-errors.js';
import type { CallSettings } from './function-connection.js';

/** The first pause between attempts; each doubles, up to RESTART_PAUSE_MAX_MS. */
export const RESTART_PAUSE_FIRST_MS = 5;
export const RESTART_PAUSE_MAX_MS = 100;

/**
 * A server that drains refused the call, or said goodbye with it unanswered: in both cases it was never
 * run (a function's own errors arrive as LIPRemoteError, never as this), so it may be sent again.
 */
export function isDrainRefusal(error: unknown): boolean {
  return error instanceof LIPConnectionError && error.code === ErrorCode.ShuttingDown;
}

const GAP_ERRNOS = new Set(['ENOENT', 'ECONNREFUSED']);

/** Nothing listens at the path for now: the file is missing, left over by a crash, or being swapped. */
export function isRestartGap(error: unknown): boolean {
  if (error instanceof LIPNotFoundError) return true;
  if (!(error instanceof LIPConnectionError) || error.code === ErrorCode.ShuttingDown) return false;
  const errno = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return (errno !== undefined && GAP_ERRNOS.has(errno)) || error.message.endsWith(SWAPPED_WHILE_CONNECTING);
}

/**
 * Runs `attempt` until it succeeds, fails otherwise than by a restart gap while `announced()`, or the
 * call's time is up (with no deadline: `noDeadlineMs`). Running out of time is the call's
 * LIPTimeoutError, naming the gap.
 */
export async function waitingForRestart<T>(
  name: string,
  settings: CallSettings,
  wait: { noDeadlineMs: number; announced: () => Promise<boolean> },
  attempt: () => Promise<T>,
): Promise<T> {
  const noDeadlineMs = wait.noDeadlineMs;
  const end = settings.deadline ?? Date.now() + noDeadlineMs;
  for (let pause = RESTART_PAUSE_FIRST_MS; ; pause = Math.min(pause * 2, RESTART_PAUSE_MAX_MS)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRestartGap(error) || !(await wait.announced())) throw error;
      const left = remainingMs(end)!;
      if (left <= 0) {
        if (settings.deadline === undefined) throw error;
        throw callTimedOut(name, settings.timeoutMs, `its server did not come back in time: ${(error as Error).message}`);
      }
      await sleep(Math.min(pause, left));
      if (settings.signal?.aborted) throw callAborted(name, settings.signal);
    }
  }
}
