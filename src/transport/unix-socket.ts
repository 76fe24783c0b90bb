/**
 * Unix socket plumbing: connect, probe, and listen without ever taking over a
 * live server's path or leaving a window where the socket is world-writable.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, type Stats, unlinkSync } from 'node:fs';
import { chmod, link, lstat, rename, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ErrorCode, LIPConnectionError, LIPError, LIPNotFoundError } from '../errors.js';
import { checkSocketDir, ensureSocketDir, trustedSocketPath } from './socket-dir.js';
import { guardSocketFile, type SocketFileLogger } from './socket-file-guard.js';
import type { Listening } from './listening.js';

export type { Listening } from './listening.js';
import { OWN_TRUST } from './socket-trust.js';

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
      const timer = setTimeout(
        () => {
          socket.destroy();
          reject(new LIPConnectionError(`could not connect to ${path}: no answer within ${timeoutMs} ms`));
        },
        Math.max(0, deadline - Date.now()),
      );
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
  /** Where warnings about the socket file (removed or replaced while serving) go. */
  logger?: SocketFileLogger | undefined;
  /** Replace the socket file of a server of ours at the path (atomically: rename), instead of refusing. @default false */
  takeOver?: boolean | undefined;
}

/**
 * Listens on `path`. A live server there is an error (never taken over); a
 * stale socket file left by a crash is removed; any other file is refused. The
 * socket directory is created 0700 if missing and must pass checkSocketDir; the
 * socket lives at the real path that resolves to (Listening.path).
 */
export async function listenUnix(path: string, onConnection: (socket: Socket) => void, options: ListenOptions = {}): Promise<Listening> {
  await ensureSocketDir(dirname(path));
  // Bound, linked and unlinked through the real path of a directory whose every parent is safe.
  const real = await trustedSocketPath(path, OWN_TRUST, 'serve');
  const bind = () => (cluster.isWorker ? bindInPlace(real, onConnection, options) : claimPath(real, onConnection, options));
  const listening = { ...(await (options.takeOver && !cluster.isWorker ? takeOverPath(real, onConnection, options) : bind())), path: real };
  // The directories may have changed since: checked again before a fresh socket goes in.
  const rebind = async () => {
    await checkSocketDir(dirname(real), OWN_TRUST, 'serve');
    return bind();
  };
  // A cluster worker's path belongs to the primary.
  if (!cluster.isWorker) guardSocketFile({ path: real, listening, rebind, logger: options.logger });
  return listening;
}

/**
 * Binds a fresh socket under a random name beside `path`, then link(2)s it to
 * `path`. A link never replaces a file, so of servers starting at once for one
 * name exactly one gets the path (a bind then unlink of a stale file let two
 * think they had it). The file appears at `path` with its final mode.
 */
function claimPath(path: string, onConnection: (socket: Socket) => void, options: ListenOptions): Promise<Listening> {
  return placeBeside(path, onConnection, options, async (server, temp) => {
    for (let attempt = 1; ; attempt++) {
      try {
        // Synchronous, as the directory checks: a metadata call that takes microseconds.
        linkSync(temp, path);
        return undefined;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          if (!LINK_UNSUPPORTED.has(code ?? '')) throw new LIPError(`could not listen on ${path}: ${(error as Error).message}`, { cause: error });
          // A file system without hard links: bind at the path itself.
          closeQuietly(server);
          return await bindInPlace(path, onConnection, options);
        }
        if (attempt >= MAX_CLAIM_ATTEMPTS) {
          throw new LIPError(`${path} is already served (a socket file keeps appearing there)`, { code: ErrorCode.AlreadyServed, cause: error });
        }
        // Throws if someone serves there; else the stale file is gone and we try again.
        await clearStaleSocket(path);
      }
    }
  });
}

/**
 * Binds a fresh socket under a random name beside `path`, then rename(2)s it over `path`: whoever
 * connects finds the old server or the new one, never no file. Only a socket file of our own uid (or
 * nothing) is replaced; the old server's open connections stay with it.
 */
async function takeOverPath(path: string, onConnection: (socket: Socket) => void, options: ListenOptions): Promise<Listening> {
  try {
    return await placeBeside(path, onConnection, options, async (_server, temp) => {
      const there = await lstat(path).catch(() => undefined);
      if (there && !there.isSocket()) throw new LIPError(`${path} exists and is not a socket; refusing to replace it`, { code: ErrorCode.AlreadyServed });
      const me = process.getuid?.();
      if (there && me !== undefined && there.uid !== me) throw alreadyServed(path, there.uid);
      await rename(temp, path);
      return undefined;
    });
  } catch (error) {
    if (error instanceof LIPError) throw error;
    throw new LIPError(`could not take over ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The prologue and epilogue of claimPath and takeOverPath: a server bound at a temporary name beside
 * `path` (bindBeside), which `place` puts at `path`; `place` may instead return another Listening of
 * its own. Whatever happens, the temporary name is gone after, and on failure the server is closed:
 * the loser of a race holds nothing.
 */
async function placeBeside(
  path: string,
  onConnection: (socket: Socket) => void,
  options: ListenOptions,
  place: (server: Server, temp: string) => Promise<Listening | undefined>,
): Promise<Listening> {
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  let temp: string | undefined;
  try {
    const bound = await bindBeside(server, path, options);
    temp = bound.temp;
    return (await place(server, temp)) ?? { server, ino: bound.ino };
  } catch (error) {
    closeQuietly(server);
    throw error;
  } finally {
    // After a rename the name is already gone (ENOENT, ignored); after a link the path keeps the socket.
    if (temp !== undefined) unlinkQuietly(temp);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Serves on a listening socket inherited as file descriptor `fd` (systemd socket activation). `path`
 * is where clients find it (the socket unit's ListenStream): shown, never bound, guarded or removed.
 */
export function listenInherited(fd: number, path: string, onConnection: (socket: Socket) => void): Promise<Listening> {
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new LIPError(`could not serve on the inherited socket (fd ${fd}) for ${path}: ${error.message}`, { cause: error })));
    server.listen({ fd }, () => {
      // A TCP socket (ListenStream=8080) would serve the function to the network, past every uid check.
      // (A Unix one inherited has no address Node knows: null; a TCP one has a port.)
      if (typeof server.address() !== 'object' || server.address() === null) return resolve({ server, ino: 0, path, inherited: true });
      server.close();
      reject(new LIPError(`the inherited socket (fd ${fd}) for ${path} is not a Unix domain socket; refusing to serve on it`));
    });
  });
}

const MAX_CLAIM_ATTEMPTS = 8;
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK']);

function closeQuietly(server: Server): void {
  if (server.listening) server.close();
}

/**
 * Binds `server` privately at a fresh random name in the directory of `path`, with its final mode,
 * ready to be linked or renamed to `path`. The caller unlinks `temp` if it goes no further.
 */
async function bindBeside(server: Server, path: string, options: ListenOptions): Promise<{ temp: string; ino: number }> {
  for (let attempt = 1; ; attempt++) {
    const temp = nameBeside(path);
    let umaskApplied: boolean;
    try {
      umaskApplied = await bindPrivately(server, temp);
    } catch (error) {
      // Someone has that name: pick another (bounded, names are random).
      if (attempt >= 8 || ((error as LIPError).cause as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') throw error;
      continue;
    }
    try {
      if (!umaskApplied || (options.socketMode !== undefined && options.socketMode !== 0o600)) chmodSync(temp, options.socketMode ?? 0o600);
      return { temp, ino: lstatSync(temp).ino };
    } catch (error) {
      unlinkQuietly(temp);
      throw error;
    }
  }
}

/**
 * A random name in the directory of `path`, never longer than its file name
 * (`lipcm-x.sock`, 12 bytes, is the shortest), so it fits sun_path too.
 */
function nameBeside(path: string): string {
  return join(dirname(path), `.lip${randomBytes(6).toString('base64url')}`);
}

/** Binds at `path` itself after clearing a stale file: a cluster worker (the primary binds) or a file system without links. */
async function bindInPlace(path: string, onConnection: (socket: Socket) => void, options: ListenOptions): Promise<Listening> {
  await clearStaleSocket(path);
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  const umaskApplied = await bindPrivately(server, path);
  try {
    // In a cluster worker the primary does the bind(2), under its own umask: chmod to be sure.
    if (!umaskApplied || cluster.isWorker || (options.socketMode !== undefined && options.socketMode !== 0o600)) {
      await chmod(path, options.socketMode ?? 0o600);
    }
    const { ino } = await lstat(path);
    return { server, ino };
  } catch (error) {
    closeQuietly(server);
    throw new LIPError(`could not listen on ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Makes way at `path`: nothing there, or a stale socket file (removed). A live server or another file is an error. */
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
  if (state === 'live' && !cluster.isWorker) throw alreadyServed(path, stats.uid);
  if (state === 'stale') await removeStale(path, stats);
}

function alreadyServed(path: string, owner: number): LIPError {
  const me = process.getuid?.();
  let advice = 'stop it first (lip stop)';
  if (me !== undefined && owner !== me) {
    // `lip stop` refuses another user's socket file (it would be a squatter's), so this one is not ours to stop.
    advice = `its socket file belongs to uid ${owner}, not to you (uid ${me}), so it cannot be stopped by you: serve under another name or socketDir`;
  }
  return new LIPError(`${path} is already served by a live server; ${advice}`, { code: ErrorCode.AlreadyServed });
}

/**
 * Removes the stale socket file `stale` from `path`, and only it. Another server
 * may have put its own socket there since we probed, so the file is first moved
 * aside (rename is atomic) and checked: if it is not the stale one, it goes back.
 */
async function removeStale(path: string, stale: Stats): Promise<void> {
  const aside = nameBeside(path);
  try {
    await rename(path, aside);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'EPERM' || code === 'EACCES') {
      throw new LIPError(
        `${path} is left over by a server of uid ${stale.uid} that is gone, and you cannot remove it (${code}): ` +
          `ask that user or root to remove it, or serve under another name or socketDir`,
        { code: ErrorCode.AlreadyServed, cause: error },
      );
    }
    throw error;
  }
  try {
    const moved = await lstat(aside);
    if (!sameFile(moved, stale)) {
      // A server bound the path between our probe and the rename: its socket goes back.
      await link(aside, path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  } finally {
    await unlink(aside).catch(() => {});
  }
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.birthtimeMs === b.birthtimeMs;
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
