/**
 * The socket directory as a security boundary, as ssh's StrictModes: whoever can
 * rename or remove files in it can swap a socket under a client. So a directory
 * must belong to us or root (or a trusted uid, for a client), and be writable by
 * nobody else unless it is sticky like /tmp (then others cannot touch our files).
 * Missing directories are created 0700, one level at a time, so a failure names
 * its real cause (Node's recursive mkdir reports ENOENT on a full disk).
 *
 * The checks are synchronous on purpose: each is a metadata lookup of a local
 * directory that takes microseconds, while a thread-pool round trip took about
 * 0.3 ms, and a client's first call made fifteen of them one after another.
 */
import type { Stats } from 'node:fs';
import { chmodSync, lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ErrorCode, LIPConnectionError, LIPError } from '../errors.js';
import { MAX_SOCKET_PATH_BYTES } from './socket-names.js';
import type { SocketTrust } from './socket-trust.js';

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITABLE = 0o022;

export type SocketDirUse = 'serve' | 'connect';

/**
 * Throws (naming the offending directory, its owner and mode, and the fix) unless
 * `dir` is safe to hold sockets: its real path, and every directory from / down
 * to it, since whoever can rename entries in any of them can swap the socket
 * directory itself between our checks and bind(2) or connect(2). A symlink on
 * the way must belong to a trusted uid (its owner chooses where it leads).
 * Resolves to the real path, which callers then bind, connect and lstat through,
 * so a symlink re-pointed later changes nothing; undefined when `dir` is missing
 * (nothing is served in it).
 */
export async function checkSocketDir(dir: string, trust: SocketTrust, use: SocketDirUse): Promise<string | undefined> {
  const given = resolve(dir);
  let real: string;
  try {
    checkSymlinksOnTheWay(given, trust, use);
    real = realpathSync.native(given);
  } catch (error) {
    if (error instanceof LIPError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw dirError(use, `could not check the socket directory ${dir}: ${(error as Error).message}`, error);
  }
  for (const at of selfAndParents(real)) {
    let stats: Stats;
    try {
      stats = lstatSync(at);
    } catch (error) {
      throw dirError(use, `could not check ${at}, on the way to the socket directory ${dir}: ${(error as Error).message}`, error);
    }
    // realpath left no symlink: one here now means someone swapped it in meanwhile.
    if (!stats.isDirectory())
      throw dirError(
        use,
        `${at}, on the way to the socket directory ${dir}, ${stats.isSymbolicLink() ? 'became a symlink while it was checked' : 'is not a directory'}`,
      );
    const problem = unsafeBecause(stats, trust);
    if (!problem) continue;
    const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
    const which =
      at === given
        ? `the socket directory ${dir}`
        : at === real
          ? `the socket directory ${dir} (really ${real})`
          : `${at}, a parent of the socket directory ${dir},`;
    throw dirError(
      use,
      `refusing to ${use === 'serve' ? 'serve in' : 'connect through'} ${which}: it belongs to uid ${stats.uid} ` +
        `with mode ${mode}, so ${problem.who} could replace the sockets in it. ${problem.fix(at)}`,
    );
  }
  return real;
}

/** `path` and each directory above it, from / down. */
function selfAndParents(path: string): string[] {
  const chain: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    chain.unshift(at);
    if (dirname(at) === at) return chain;
  }
}

/** Refuses a symlink on the given path that an untrusted uid owns: it could point us anywhere, at any moment. */
function checkSymlinksOnTheWay(given: string, trust: SocketTrust, use: SocketDirUse): void {
  for (const at of selfAndParents(given)) {
    const stats = lstatSync(at);
    if (!stats.isSymbolicLink() || trust.trusts(stats.uid)) continue;
    throw dirError(
      use,
      `refusing to ${use === 'serve' ? 'serve in' : 'connect through'} the socket directory ${given}: ${at} is a symlink that belongs to uid ${stats.uid}, ` +
        `who could point it elsewhere at any moment. Use the directory it leads to (${leadsTo(at)}) or a symlink of your own.`,
    );
  }
}

function leadsTo(symlink: string): string {
  try {
    return realpathSync.native(symlink);
  } catch {
    return 'unknown';
  }
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
  // Sticky keeps others off our entries, but not off its owner's: the owner must be trusted (checked above).
  if ((stats.mode & GROUP_OR_OTHER_WRITABLE) !== 0 && (stats.mode & STICKY) === 0) {
    return {
      who: (stats.mode & 0o002) !== 0 ? 'any user' : 'its group',
      fix: (dir) => `Run \`chmod go-w ${dir}\` (or \`chmod +t ${dir}\` to make it sticky like /tmp).`,
    };
  }
  return undefined;
}

/**
 * The real path of the socket file `path`, once its directory passed checkSocketDir; the given path if
 * that is missing. The real path is what is bound and connected: one longer than sun_path (a symlinked
 * directory leading somewhere deep) would be cut short by the kernel, so it is refused here.
 */
export async function trustedSocketPath(path: string, trust: SocketTrust, use: SocketDirUse): Promise<string> {
  const real = await checkSocketDir(dirname(path), trust, use);
  if (real === undefined) return path;
  const resolved = join(real, basename(path));
  const bytes = Buffer.byteLength(resolved);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    const message =
      `socket path ${JSON.stringify(path)} leads to ${JSON.stringify(resolved)}, ${bytes} bytes, over the kernel's limit of ` +
      `${MAX_SOCKET_PATH_BYTES} for Unix sockets: use a socket directory with a shorter real path`;
    throw use === 'connect' ? new LIPConnectionError(message, { code: ErrorCode.SocketPath }) : new LIPError(message, { code: ErrorCode.SocketPath });
  }
  return resolved;
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
      if (statSync(at).isDirectory()) break;
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
      mkdirSync(at, { mode: 0o700 });
      // The umask may have taken bits off (or a umask of 0o777 all of them): 0700, whatever it is.
      chmodSync(at, 0o700);
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
