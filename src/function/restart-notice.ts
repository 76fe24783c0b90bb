/**
 * For supervisors such as `lip up`: announcing that a function is being restarted, so that clients
 * meeting its missing or refused socket wait for it (within each call's deadline) instead of failing.
 */
import { resolveSocketDir, assertValidName } from '../transport/socket-names.js';
import { removeRestartMarker, restartMarkerPath, writeRestartMarker } from '../transport/restart-marker.js';

export interface RestartNoticeOptions {
  /** The function's socket directory. @default $LIP_SOCKET_DIR, else /tmp */
  socketDir?: string | undefined;
}

/**
 * Announces that `name` is coming back: until `endRestartNotice` (or this process ends), clients wait
 * for its socket. The notice names this process: it stops counting if this process dies.
 */
export async function announceRestart(name: string, options: RestartNoticeOptions = {}): Promise<void> {
  assertValidName(name);
  await writeRestartMarker(restartMarkerPath(name, resolveSocketDir(options.socketDir)), process.pid);
}

/** Withdraws the notice: the function is back, or will not come back (clients fail at once again). */
export async function endRestartNotice(name: string, options: RestartNoticeOptions = {}): Promise<void> {
  assertValidName(name);
  await removeRestartMarker(restartMarkerPath(name, resolveSocketDir(options.socketDir)));
}
