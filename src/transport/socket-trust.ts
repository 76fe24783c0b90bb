/**
 * Whose sockets we talk to. A socket file in a shared directory may belong to
 * another local user (a squatter): a client connects only to files of trusted
 * uids (ourselves, root, or those listed in `trustUids`), and a socket directory
 * must belong to one of them too.
 */
import { ErrorCode, LIPConnectionError } from '../errors.js';

/** The uids whose socket files (and socket directories) we trust. */
export class SocketTrust {
  /** Undefined where the platform has no uids (Windows): there is nothing to check. */
  readonly me: number | undefined;
  private readonly uids: ReadonlySet<number>;

  /** Ourselves and root, plus `extraUids`. */
  constructor(extraUids: readonly number[] = []) {
    this.me = process.getuid?.();
    this.uids = new Set([...(this.me === undefined ? [] : [this.me, 0]), ...extraUids]);
  }

  trusts(uid: number): boolean {
    return this.me === undefined || this.uids.has(uid);
  }
}

/** Trust in ourselves and root alone: what a server and an unconfigured connection use. */
export const OWN_TRUST = new SocketTrust();

/** The refusal of a socket file that belongs to an untrusted uid. */
export function untrustedOwner(path: string, uid: number, trust: SocketTrust): LIPConnectionError {
  return new LIPConnectionError(
    `refusing to connect to ${path}: the socket file belongs to uid ${uid}, not to you (uid ${trust.me}); ` +
      `if that user is trusted, list it in the trustUids option`,
    { code: ErrorCode.Untrusted },
  );
}
