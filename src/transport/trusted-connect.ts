/**
 * Connecting as a client: nothing is written on a connection until the socket
 * file it reached is known to belong to a trusted uid, checked for every
 * connection (a missing or replaced file is never trusted).
 */
import type { BigIntStats } from 'node:fs';
import { lstatSync } from 'node:fs';
import type { Socket } from 'node:net';
import { LIPConnectionError, LIPNotFoundError } from '../errors.js';
import { trustedSocketPath } from './socket-dir.js';
import { untrustedOwner, type SocketTrust } from './socket-trust.js';
import { connectUnix } from './unix-socket.js';

export interface TrustedConnectOptions {
  timeoutMs: number;
  trust: SocketTrust;
}

/** How the error ends when the socket file changed under a connect (a restart or reload swapping it). */
export const SWAPPED_WHILE_CONNECTING = 'while connecting; nothing was sent to it';

/**
 * Connects to `path` and resolves once the file is known to be a trusted user's
 * socket. Node has no SO_PEERCRED, so the file is checked before and after
 * connect(2): the same device, inode and trusted owner both times means the
 * socket we reached is the file we checked (it cannot be swapped back and forth
 * without write access to its directory or a parent, which checkSocketDir refuses
 * to others, or a sticky bit that keeps them off our files). A missing or replaced
 * file is never trusted; on any doubt the socket is destroyed before a byte is written.
 */
export async function connectTrusted(path: string, options: TrustedConnectOptions): Promise<Socket> {
  const { trust } = options;
  // Every directory on the way is checked once per connection, and the rest goes through
  // the real path: nobody who can rename entries in a parent can swap the directory under us.
  const real = await trustedSocketPath(path, trust, 'connect');
  const before = socketFileStats(real, trust);
  const socket = await connectUnix(real, options.timeoutMs);
  // Looked at in the same turn as the connect ended: no socket event can come in between.
  let after: BigIntStats | undefined;
  try {
    after = lstatSync(real, { bigint: true });
  } catch {
    // Gone right after we connected: whoever we reached, it is not the file we checked.
  }
  if (after && sameFile(after, before)) {
    if (!socket.destroyed) return socket;
    throw new LIPConnectionError(`the connection to ${path} closed at once`);
  }
  socket.destroy();
  if (after && !trust.trusts(Number(after.uid))) throw untrustedOwner(path, Number(after.uid), trust);
  throw new LIPConnectionError(`${path} was ${after ? 'replaced' : 'removed'} ${SWAPPED_WHILE_CONNECTING}`);
}

/** The socket file's stats if it may be connected to; LIPNotFoundError when there is none. */
function socketFileStats(path: string, trust: SocketTrust): BigIntStats {
  let stats: BigIntStats;
  try {
    stats = lstatSync(path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LIPNotFoundError(`no socket at ${path}: the function is not served`, { cause: error });
    }
    throw new LIPConnectionError(`could not check ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!stats.isSocket()) throw new LIPConnectionError(`${path} is not a socket; refusing to connect to it`);
  if (!trust.trusts(Number(stats.uid))) throw untrustedOwner(path, Number(stats.uid), trust);
  return stats;
}

/**
 * One file, not another that took its place: device, inode, owner, and birth and
 * modification times (a freed inode number is soon reused, but a new file at it
 * has new times; a socket's times do not change while it serves). Timestamps are
 * as fine as the kernel's clock tick (~4 ms), so a file created, removed and
 * re-created at one inode within one tick could pass: no real server restarts that fast.
 */
function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.uid === b.uid && a.birthtimeNs === b.birthtimeNs && a.mtimeNs === b.mtimeNs;
}
