/**
 * Notices when a serving socket's file is removed (a tmp cleaner, a stray
 * `rm`) or replaced, which would leave the server running but unreachable:
 * logs a warning and puts a fresh socket back at the path, unless another
 * server now lives there (that one is never taken over; the warning says so).
 */
import { lstat, unlink } from 'node:fs/promises';
import type { Listening } from './listening.js';

/** The part of a logger the guard writes to (pino's shape). */
export interface SocketFileLogger {
  warn(fields: object, message: string): void;
}

/** How often the file is looked at: one lstat a second per served function. */
export const SOCKET_FILE_CHECK_MS = 1000;

export interface GuardOptions {
  path: string;
  /** Updated in place when the guard binds a fresh socket. */
  listening: Listening;
  /** Binds a fresh socket at the path, as at start (never taking over a live one). */
  rebind: () => Promise<Listening>;
  logger?: SocketFileLogger | undefined;
}

/** Checks the file every SOCKET_FILE_CHECK_MS until the server stops listening. */
export function guardSocketFile(options: GuardOptions): void {
  const { path, listening, rebind, logger } = options;
  let checking = false;
  // Repeated failures are logged once each, not every second.
  let lastProblem = '';
  const warn = (fields: object, message: string) => {
    if (message === lastProblem) return;
    lastProblem = message;
    logger?.warn({ socket: path, ...fields }, message);
  };

  const check = async (): Promise<void> => {
    const serving = listening.server;
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.ino === listening.ino || !serving.listening) return;
    let fresh: Listening;
    try {
      fresh = await rebind();
    } catch (error) {
      // Another live server of ours at the path: it took it over (a reload), and this one should drain.
      const takenOver = stats?.isSocket() && (error as { code?: unknown }).code === 'ERR_LIP_ALREADY_SERVED';
      const what = stats ? `replaced by another file (uid ${stats.uid})` : 'removed';
      const message = takenOver
        ? 'another server took the socket path over, so ours could not be put back: new clients reach it; this one keeps its open connections until it stops'
        : `the socket file was ${what} while serving, and could not be put back: clients cannot reach this server`;
      warn({ err: (error as Error).message }, message);
      return;
    }
    if (!serving.listening || listening.server !== serving) {
      // The server was closed while we rebound: the fresh socket goes too.
      fresh.server.close();
      const now = await lstat(path).catch(() => undefined);
      if (now?.ino === fresh.ino) await unlink(path).catch(() => {});
      return;
    }
    listening.server = fresh.server;
    listening.ino = fresh.ino;
    // Connections accepted before stay open; the old socket could not be reached any more anyway.
    serving.close();
    lastProblem = '';
    const was = stats ? 'replaced by a stale file' : 'removed';
    logger?.warn({ socket: path, was }, 'the socket file was removed while serving; a fresh socket was put back');
  };

  const timer = setInterval(() => {
    if (!listening.server.listening) {
      clearInterval(timer);
      return;
    }
    if (checking) return;
    checking = true;
    check()
      .catch((error: unknown) => warn({ err: (error as Error).message }, 'could not check the socket file'))
      .finally(() => (checking = false));
  }, SOCKET_FILE_CHECK_MS);
  timer.unref();
}
