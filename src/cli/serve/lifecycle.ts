/**
 * Starting and stopping a set of served functions, shared by `lip serve` in
 * one process and by each `--instances` worker.
 */
import { natsServersText, type LIPFunctionControls, type NatsOption } from '../../index.js';
import { print } from '../common.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { describeError } from '../report-error.js';
import { err, out } from '../style.js';
import { matchSockets } from './systemd-sockets.js';

export interface ServedLine {
  name: string;
  signature: string;
  /** The socket path, or `NATS <url>` when served over NATS only. */
  path: string;
}

/** Where to serve: the socket directory, and NATS servers if any. */
export interface Placement {
  socketDir: string | undefined;
  nats?: NatsOption | undefined;
  /** false: over NATS only. */
  socket?: boolean | undefined;
  /** Take each socket path over from the server there (a `lip up --watch` reload). */
  takeOver?: boolean | undefined;
  /** Listening sockets inherited from systemd, by name (systemd-sockets.ts). */
  listenFds?: ReadonlyMap<string, number> | undefined;
}

/** Serves each function in turn; if one fails, the ones already started are stopped again. */
export async function initAll(functions: readonly LIPFunctionControls[], placement: Placement): Promise<ServedLine[]> {
  const started: LIPFunctionControls[] = [];
  const { socketDir, nats, socket, takeOver } = placement;
  const listenFds =
    placement.listenFds &&
    matchSockets(
      placement.listenFds,
      functions.map((fn) => fn.lipName),
    );
  if (placement.listenFds && listenFds && listenFds.size < placement.listenFds.size) {
    // A socket systemd holds for a function we don't serve: its callers would wait in vain.
    const unused = [...placement.listenFds.entries()].filter(([, fd]) => ![...listenFds.values()].includes(fd)).map(([name]) => name || '(unnamed)');
    process.stderr.write(`${err.yellow('lip: warning:')} sockets passed by systemd that match no function served here: ${unused.join(', ')}\n`);
  }
  try {
    for (const fn of functions) {
      const listenFd = listenFds?.get(fn.lipName);
      await quietLifecycle(fn, () =>
        fn.init({
          ...(socketDir === undefined ? {} : { socketDir }),
          ...(nats ? { nats } : {}),
          ...(socket === false ? { socket } : {}),
          ...(listenFd === undefined ? (takeOver ? { takeOver } : {}) : { listenFd }),
        }),
      );
      started.push(fn);
    }
  } catch (error) {
    await Promise.allSettled(started.map((fn) => fn.exit()));
    throw new CliError(`could not serve: ${describeError(error)}`, ExitCode.Failed, { cause: error });
  }
  const where = (fn: LIPFunctionControls) => {
    const natsNote = nats ? `NATS ${natsServersText(nats)} (lip.fn.${fn.lipName})` : '';
    if (!fn.socketPath) return natsNote;
    return natsNote ? `${fn.socketPath} and ${natsNote}` : fn.socketPath;
  };
  return functions.map((fn) => ({ name: fn.lipName, signature: fn.describe().signature, path: where(fn) }));
}

/**
 * For a person at a terminal, lip serve's own "serving" and "stopped" lines announce each function: its
 * log records saying the same at info level are left out there. JSON logs keep them.
 */
function quietLifecycle<T>(fn: LIPFunctionControls, work: () => Promise<T>): Promise<T> {
  const level = fn.logLevel;
  if (process.env.LIP_LOG_FORMAT !== 'pretty' || (level !== 'debug' && level !== 'info')) return work();
  fn.setLogLevel('warning');
  return work().finally(() => fn.setLogLevel(level));
}

export function printServing(line: ServedLine, note = ''): void {
  print(`${out.green('serving')} ${out.bold(line.signature)} at ${line.path}${note ? ` ${out.dim(note)}` : ''}`);
}

/** Stops every function gracefully: running calls finish (up to `graceMs`, else each function's exitTimeoutMs). */
export async function exitAll(functions: readonly LIPFunctionControls[], graceMs: number | undefined): Promise<void> {
  const results = await Promise.allSettled(functions.map((fn) => quietLifecycle(fn, () => fn.exit(graceMs === undefined ? {} : { timeoutMs: graceMs }))));
  for (const r of results) if (r.status === 'rejected') process.stderr.write(`${err.red('lip: error:')} ${describeError(r.reason)}\n`);
}

/**
 * Calls `onStopped` once per function as it stops serving, whoever stopped it
 * (our exit(), or a client's `lip stop` from inside the server); resolves when none is left.
 */
export async function watchStops(functions: readonly LIPFunctionControls[], onStopped: (fn: LIPFunctionControls) => void): Promise<void> {
  await Promise.all(functions.map((fn) => fn.closed.then(() => onStopped(fn))));
}

/** First SIGINT/SIGTERM (or `signals`): `graceful()`; a second one exits at once. Returns the remover. */
export function onShutdownSignals(graceful: (signal: NodeJS.Signals) => void, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): () => void {
  let received = false;
  const handler = (signal: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`lip: ${signal} again: exiting without waiting for running calls\n`);
      process.exit(130);
    }
    received = true;
    graceful(signal);
  };
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}
