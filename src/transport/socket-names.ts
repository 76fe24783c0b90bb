/**
 * Where sockets live and what they are called: `<socketDir>/lipcm-<name>.sock`,
 * as the Python original names them, so both can share a directory.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ErrorCode, LIPError } from '../errors.js';

export const SOCKET_PREFIX = 'lipcm-';
export const SOCKET_SUFFIX = '.sock';
/** sun_path is 108 bytes on Linux, one of them the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Throws a TypeError unless `name` is usable as a function name (letters, digits, `_`, `-`, `.`). */
export function assertValidName(name: unknown, what = 'function name'): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`${what} must be a non-empty string, got ${describe(name)}`);
  }
  if (!NAME_PATTERN.test(name) || name === '.' || name === '..') {
    throw new TypeError(`${what} ${JSON.stringify(name)} is not allowed: use only letters, digits, '_', '-' and '.'`);
  }
}

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}

/** The socket directory: the option, else $LIP_SOCKET_DIR, else /tmp. */
export function resolveSocketDir(option?: string): string {
  const dir = option ?? process.env.LIP_SOCKET_DIR ?? '/tmp';
  if (dir === '') return '/tmp';
  return resolve(dir);
}

/** The socket path for `name`; a path the kernel can't bind is a clear error, never silently cut. */
export function socketPathFor(name: string, socketDir: string): string {
  assertValidName(name);
  const path = join(socketDir, `${SOCKET_PREFIX}${name}${SOCKET_SUFFIX}`);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new LIPError(
      `socket path ${JSON.stringify(path)} is ${bytes} bytes, over the kernel's limit of ` +
        `${MAX_SOCKET_PATH_BYTES} for Unix sockets: use a shorter name or socketDir`,
      { code: ErrorCode.SocketPath },
    );
  }
  return path;
}

/** The function name a socket file stands for, or undefined if it is not one of ours. */
export function nameFromSocketFile(fileName: string): string | undefined {
  if (!fileName.startsWith(SOCKET_PREFIX) || !fileName.endsWith(SOCKET_SUFFIX)) return undefined;
  const name = fileName.slice(SOCKET_PREFIX.length, -SOCKET_SUFFIX.length);
  return isValidName(name) ? name : undefined;
}

export interface SocketEntry {
  name: string;
  path: string;
}

/** Lists every `lipcm-*.sock` in the directory (live or stale), sorted by name. */
export async function scanSocketDir(socketDir: string): Promise<SocketEntry[]> {
  let entries;
  try {
    entries = await readdir(socketDir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: SocketEntry[] = [];
  for (const entry of entries) {
    if (!entry.isSocket()) continue;
    const name = nameFromSocketFile(entry.name);
    if (name !== undefined) found.push({ name, path: join(socketDir, entry.name) });
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
