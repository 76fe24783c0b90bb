/**
 * Unix socket plumbing: connect, probe, and listen without ever taking over a
 * live server's path or leaving a window where the socket is world-writable.
 */
import cluster from 'node:cluster';
import { lstat, mkdir, unlink, chmod } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ErrorCode, LIPConnectionError, LIPError, LIPNotFoundError } from '../errors.js';

export type SocketState = 'live' | 'stale' | 'missing';

/**
 * Opens a connection; rejects with LIPNotFoundError (no file) or LIPConnectionError.
 * A full accept backlog (EAGAIN: a Unix socket does not queue beyond it) is retried
 * with a short, growing pause until `timeoutMs`.
 */
export function connectUnix(path: string, timeoutMs = 5000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let pause = 1;
    const attempt = () => {
      const socket = createConnection({ path });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new LIPConnectionError(`could not connect to ${path}: no answer within ${timeoutMs} ms`));
      }, Math.max(0, deadline - Date.now()));
      timer.unref();
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (error.code === 'EAGAIN' && Date.now() + pause < deadline) {
          setTimeout(attempt, pause);
          pause = Math.min(pause * 2, 50);
          return;
        }
        reject(connectError(path, error));
      });
    };
    attempt();
  });
}

export function connectError(path: string, error: NodeJS.ErrnoException): LIPError {
  if (error.code === 'ENOENT') {
    return new LIPNotFoundError(`no socket at ${path}: the function is not served`, { cause: error });
  }
  if (error.code === 'ECONNREFUSED') {
    return new LIPConnectionError(`nobody is listening at ${path} (a stale socket file?)`, { cause: error });
  }
  return new LIPConnectionError(`could not connect to ${path}: ${error.message}`, { cause: error });
}

/** Whether a server answers at `path`, the file is left over, or there is nothing. */
export async function probeSocket(path: string, timeoutMs = 1000): Promise<SocketState> {
  try {
    const socket = await connectUnix(path, timeoutMs);
    socket.destroy();
    return 'live';
  } catch (error) {
    if (error instanceof LIPNotFoundError) return 'missing';
    const cause = (error as LIPError).cause as NodeJS.ErrnoException | undefined;
    // A connection that times out means a server too busy to accept: still live.
    if (!cause) return 'live';
    return 'stale';
  }
}

export interface ListenOptions {
  /** File mode of the socket; 0o600 unless widened on purpose. */
  socketMode?: number;
}

export interface Listening {
  server: Server;
  /** Inode of the socket file we created, so we remove only our own file on exit. */
  ino: number;
}

// Directories that many users share: never chmod them.
const SHARED_DIRS = new Set(['/tmp', '/var/tmp', '/dev/shm', '/run/user']);

/**
 * Listens on `path`. A live server there is an error (never taken over); a
 * stale socket file left by a crash is removed; any other file is refused.
 */
export async function listenUnix(
  path: string,
  onConnection: (socket: Socket) => void,
  options: ListenOptions = {},
): Promise<Listening> {
  const dir = dirname(path);
  if (!SHARED_DIRS.has(dir)) await mkdir(dir, { recursive: true, mode: 0o700 });
  await clearStaleSocket(path);
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  const umaskApplied = await bindPrivately(server, path);
  // In a cluster worker the primary does the bind(2), under its own umask: chmod to be sure.
  if (!umaskApplied || cluster.isWorker || (options.socketMode !== undefined && options.socketMode !== 0o600)) {
    await chmod(path, options.socketMode ?? 0o600);
  }
  const { ino } = await lstat(path);
  return { server, ino };
}

async function clearStaleSocket(path: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isSocket()) {
    throw new LIPError(`${path} exists and is not a socket; refusing to replace it`, {
      code: ErrorCode.AlreadyServed,
    });
  }
  const state = await probeSocket(path);
  // In a cluster the primary listens once and hands connections to every worker, so a worker
  // finds its siblings live at the path and joins them; a foreign server still fails the bind.
  if (state === 'live' && !cluster.isWorker) {
    throw new LIPError(`${path} is already served by a live server; stop it first (lip stop)`, {
      code: ErrorCode.AlreadyServed,
    });
  }
  if (state === 'stale') {
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** Binds with a umask that leaves the owner alone with the socket: no window where others can connect. */
function bindPrivately(server: Server, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new LIPError(`${path} is already served (it appeared while starting)`, { code: ErrorCode.AlreadyServed, cause: error }));
      } else reject(new LIPError(`could not listen on ${path}: ${error.message}`, { cause: error }));
    };
    server.once('error', onError);
    // bind(2) happens synchronously inside listen(), so the umask covers exactly it.
    const previous = setUmask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve(previous !== undefined);
      });
    } finally {
      if (previous !== undefined) setUmask(previous);
    }
  });
}

function setUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    // Worker threads can't change the umask; the caller chmods instead.
    return undefined;
  }
}

/** Removes the socket file only if it is still the one we created. */
export async function removeOwnSocket(path: string, ino: number): Promise<void> {
  // A cluster worker's path belongs to the primary, which unlinks it when its last worker leaves.
  if (cluster.isWorker) return;
  try {
    const stats = await lstat(path);
    if (stats.ino === ino) await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
