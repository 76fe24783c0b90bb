/**
 * The sign that a function is being restarted: a small file `lipcm-<name>.restarting` beside its socket,
 * holding the pid of the supervisor (`lip up`) that will bring it back. While it is there, a client that
 * finds the socket missing or refused waits for it (within the call's deadline) instead of failing at
 * once. It counts only while it is a regular file of a trusted uid and its supervisor is alive, so a
 * marker left by a supervisor that died, or planted by another user, makes nobody wait.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SOCKET_PREFIX } from './socket-names.js';
import type { SocketTrust } from './socket-trust.js';

const MARKER_SUFFIX = '.restarting';
/** A marker is a pid: anything longer is not one of ours. */
const MAX_MARKER_BYTES = 64;

/** The marker path of `name` in `socketDir`. */
export function restartMarkerPath(name: string, socketDir: string): string {
  return join(socketDir, `${SOCKET_PREFIX}${name}${MARKER_SUFFIX}`);
}

/** Writes the marker (atomically: a whole file or none), naming `pid` as the supervisor. */
export async function writeRestartMarker(path: string, pid: number): Promise<void> {
  // A fresh random name, created exclusively: in a shared (sticky) directory another user may have
  // put a symlink at any name we could guess, and O_EXCL never follows one.
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${pid}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temp, path).catch(async (error: unknown) => {
    await unlink(temp).catch(() => {});
    throw error;
  });
}

export async function removeRestartMarker(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** Whether a trusted, live supervisor says the function at `path` is coming back. */
export async function restartAnnounced(path: string, trust: SocketTrust): Promise<boolean> {
  const marker = await readMarker(path, trust);
  if (!marker) return false;
  try {
    process.kill(marker.pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but not ours to signal. A supervisor of root (or another trusted uid) is such a
    // process; for our own marker it is not our supervisor but a stranger's process that got its pid.
    return (error as NodeJS.ErrnoException).code === 'EPERM' && marker.uid !== trust.me;
  }
}

/**
 * The marker's pid and owner, or undefined when it is not a small regular file of a trusted uid. Opened
 * without following a symlink and without blocking (a FIFO put at the name between two looks must not
 * hang the call), and checked on the opened file itself.
 */
async function readMarker(path: string, trust: SocketTrust): Promise<{ pid: number; uid: number } | undefined> {
  const seen = await lstat(path).catch(() => undefined);
  if (!seen?.isFile()) return undefined;
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!file) return undefined;
  try {
    const stats = await file.stat();
    if (!stats.isFile() || stats.size > MAX_MARKER_BYTES || !trust.trusts(stats.uid)) return undefined;
    const buffer = Buffer.alloc(MAX_MARKER_BYTES);
    const { bytesRead } = await file.read(buffer, 0, MAX_MARKER_BYTES, 0);
    const pid = Number(buffer.subarray(0, bytesRead).toString('utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? { pid, uid: stats.uid } : undefined;
  } finally {
    await file.close();
  }
}
