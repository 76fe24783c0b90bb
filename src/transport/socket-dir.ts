/**
 * The socket directory as a security boundary, as ssh's StrictModes: whoever can
 * rename or remove files in it can swap a socket under a client. So a directory
 * must belong to us or root (or a trusted uid, for a client), and be writable by
 * nobody else unless it is sticky like /tmp (then others cannot touch our files).
 * Missing directories are created 0700, one level at a time, so a failure names
 * its real cause (Node's recursive mkdir reports ENOENT on a full disk).
 */
import type { Stats } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, LIPConnectionError, LIPError } from '../errors.js';
import type { SocketTrust } from './socket-trust.js';

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITABLE = 0o022;

export type SocketDirUse = 'serve' | 'connect';

/**
 * Throws (naming the directory, its owner and mode, and the fix) unless `dir` is
 * safe to hold sockets. A missing directory is fine here: nothing is served in it.
 */
export async function checkSocketDir(dir: string, trust: SocketTrust, use: SocketDirUse): Promise<void> {
  let stats: Stats;
  try {
    // stat, not lstat: /tmp is a symlink on some systems; what counts is the directory it leads to.
    stats = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw dirError(use, `could not check the socket directory ${dir}: ${(error as Error).message}`, error);
  }
  if (!stats.isDirectory()) throw dirError(use, `the socket directory ${dir} is not a directory`);
  const problem = unsafeBecause(stats, trust);
  if (!problem) return;
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  throw dirError(
    use,
    `refusing to ${use === 'serve' ? 'serve in' : 'connect through'} the socket directory ${dir}: it belongs to uid ${stats.uid} ` +
      `with mode ${mode}, so ${problem.who} could replace the sockets in it. ${problem.fix(dir)}`,
  );
}

function unsafeBecause(stats: Stats, trust: SocketTrust): { who: string; fix: (dir: string) => string } | undefined {
  if (!trust.trusts(stats.uid)) {
    return {
      who: `uid ${stats.uid}`,
      fix: (dir) =>
        `Use a directory you own (the socketDir option or LIP_SOCKET_DIR), or have root run \`chown ${trust.me} ${dir}\`` +
        (trust.me === undefined ? '' : `; a client that trusts uid ${stats.uid} may list it in trustUids`),
    };
  }
  if ((stats.mode & GROUP_OR_OTHER_WRITABLE) !== 0 && (stats.mode & STICKY) === 0) {
    return {
      who: (stats.mode & 0o002) !== 0 ? 'any user' : 'its group',
      fix: (dir) => `Run \`chmod go-w ${dir}\` (or \`chmod +t ${dir}\` to make it sticky like /tmp).`,
    };
  }
  return undefined;
}

function dirError(use: SocketDirUse, message: string, cause?: unknown): LIPError {
  const options = { code: ErrorCode.Untrusted, ...(cause === undefined ? {} : { cause }) };
  return use === 'connect' ? new LIPConnectionError(message, options) : new LIPError(message, options);
}

/** Creates `dir` (and missing parents) 0700 if it does not exist; errors say which level failed and why. */
export async function ensureSocketDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    try {
      if ((await stat(at)).isDirectory()) break;
      throw new LIPError(`could not create the socket directory ${dir}: ${at} exists and is not a directory`);
    } catch (error) {
      if (error instanceof LIPError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file further up; the walk finds and names it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(at) === at) throw mkdirError(dir, at, error);
      missing.unshift(at);
    }
  }
  for (const at of missing) {
    try {
      await mkdir(at, { mode: 0o700 });
      // The umask may have taken bits off (or a umask of 0o777 all of them): 0700, whatever it is.
      await chmod(at, 0o700);
    } catch (error) {
      // Someone else created it meanwhile: fine, checkSocketDir judges it next.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw mkdirError(dir, at, error);
    }
  }
}

function mkdirError(dir: string, at: string, error: unknown): LIPError {
  const { code, message } = error as NodeJS.ErrnoException;
  // "ENOENT: no such file or directory, mkdir '/x'" -> "no such file or directory": the code and path are said once.
  const why = REASONS[code ?? ''] ?? message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  const where = at === dir ? '' : ` (creating ${at})`;
  return new LIPError(`could not create the socket directory ${dir}${where}: ${why}${code ? ` (${code})` : ''}`, { cause: error });
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the file system (no free blocks or inodes)',
  EDQUOT: 'your disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a component of the path is not a directory',
  ENAMETOOLONG: 'the path is too long',
};
