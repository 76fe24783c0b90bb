/**
 * Where a function's socket is: the socket directory, scanned once and again on refresh, and the
 * expected path `<dir>/lipcm-<name>.sock` for a server started since. The directory and its parents
 * are checked (checkSocketDir) before anything in it is listed; whose socket files are trusted is
 * this client's SocketTrust.
 */
import { lstat } from 'node:fs/promises';
import { LIPNotFoundError } from '../errors.js';
import { checkSocketDir } from '../transport/socket-dir.js';
import { isValidName, scanSocketDir, socketPathFor, type SocketEntry } from '../transport/socket-names.js';
import type { SocketTrust } from '../transport/socket-trust.js';
import { didYouMean } from './suggest.js';

export class SocketLocator {
  private known = new Map<string, string>();
  private scanned: Promise<void> | undefined;

  constructor(
    readonly socketDir: string,
    private readonly trust: SocketTrust,
  ) {}

  /** The socket files found by the last scan (scanning the first time). */
  async entries(): Promise<SocketEntry[]> {
    await this.ensureScanned();
    return [...this.known].map(([name, path]) => ({ name, path }));
  }

  /** Whether the last scan (or a later lookup) found `name`. */
  has(name: string): boolean {
    return this.known.has(name);
  }

  /** Scans the directory again; returns the names found (live or not). */
  async rescan(): Promise<string[]> {
    this.scanned = this.scan();
    await this.scanned;
    return [...this.known.keys()];
  }

  /** The socket path of `name`; LIPNotFoundError (with a suggestion) if there is none. */
  async locate(name: string): Promise<string> {
    if (typeof name !== 'string' || !isValidName(name)) {
      throw new LIPNotFoundError(`Function ${JSON.stringify(name)} is not a valid function name`);
    }
    await this.ensureScanned();
    const known = this.known.get(name);
    if (known) return known;
    // Started after our last scan? Its socket would be at the usual path.
    const path = socketPathFor(name, this.socketDir);
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.isSocket()) {
      this.known.set(name, path);
      return path;
    }
    throw this.notFound(name);
  }

  /** The error for a name served nowhere we looked; `elsewhere` names the other places searched. */
  notFound(name: string, elsewhere?: string): LIPNotFoundError {
    const also = elsewhere ? ` nor ${elsewhere}` : '';
    return new LIPNotFoundError(`Function '${name}' not found in ${this.socketDir}${also}${didYouMean(name, this.known.keys())}`);
  }

  private ensureScanned(): Promise<void> {
    if (!this.scanned) {
      const scan = this.scan();
      this.scanned = scan;
      // A failed scan (an unsafe directory, say) is tried again next time, not remembered.
      scan.catch(() => {
        if (this.scanned === scan) this.scanned = undefined;
      });
    }
    return this.scanned;
  }

  private async scan(): Promise<void> {
    // Listed through the real path of a directory whose every parent is safe.
    const real = await checkSocketDir(this.socketDir, this.trust, 'connect');
    const entries = await scanSocketDir(real ?? this.socketDir);
    this.known = new Map(entries.map((e) => [e.name, e.path]));
  }
}
