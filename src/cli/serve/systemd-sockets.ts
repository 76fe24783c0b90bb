/**
 * Listening sockets passed by systemd socket activation (sd_listen_fds(3)): LISTEN_PID names this
 * process, LISTEN_FDS counts them from fd 3, LISTEN_FDNAMES names them (a socket unit's
 * FileDescriptorName=, `systemd-socket-activate --fdname`). A name is a function's name; one socket
 * without a name goes to the only function served. The variables are removed, as sd_listen_fds(1)
 * does, so that processes we start don't take the sockets for theirs.
 */

/** The first passed descriptor (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

/** The passed sockets by name (`''` for one without a name), or undefined when none were passed to us. */
export function systemdSockets(env: NodeJS.ProcessEnv = process.env): Map<string, number> | undefined {
  const pid = env.LISTEN_PID;
  const count = Number(env.LISTEN_FDS);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (pid === undefined || Number(pid) !== process.pid || !Number.isInteger(count) || count < 1) return undefined;
  const sockets = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const name = names[i] ?? '';
    sockets.set(name === 'unknown' ? '' : name, FIRST_FD + i);
  }
  return sockets;
}

/** Which function each socket goes to: by name; a lone unnamed socket to a lone function. */
export function matchSockets(sockets: ReadonlyMap<string, number>, functionNames: readonly string[]): Map<string, number> {
  const matched = new Map<string, number>();
  for (const name of functionNames) {
    const fd = sockets.get(name);
    if (fd !== undefined) matched.set(name, fd);
  }
  const unnamed = sockets.get('');
  if (unnamed !== undefined && sockets.size === 1 && functionNames.length === 1) matched.set(functionNames[0]!, unnamed);
  return matched;
}
