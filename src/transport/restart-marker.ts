/**
 * The sign that a function is being restarted: a small file `lipcm-<name>.restarting` beside its socket,
 * holding the pid of the supervisor (`lip up`) that will bring it back. While it is there, a client that
 * finds the socket missing or refused waits for it (within the call's deadline) instead of failing at
 * once. It counts only while it is a regular file of a trusted uid and its supervisor is alive, so a
 * marker left by a supervisor that died, or planted by another user, makes nobody wait.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readFile, rename, unlink, writeFile } from 'node:fs/promises';
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
  const stats = await lstat(path).catch(() => undefined);
  if (!stats?.isFile() || stats.size > MAX_MARKER_BYTES || !trust.trusts(stats.uid)) return false;
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another trusted user's (root's) process.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
