/** `lip serve`, once its options are checked: loads the files and serves them, here or in --instances workers. */
import cluster from 'node:cluster';
import type { LIPFunctionControls, LogLevel } from '../../index.js';
import { natsOptionOf } from '../nats-option.js';
import type { ServeOptions } from './serve-options.js';
import { runPrimary } from './cluster-primary.js';
import { runWorker } from './cluster-worker.js';
import { loadFunctions } from './load-modules.js';
import { serveHere, type ServeSettings } from './serve-here.js';
import { describeError } from '../report-error.js';
import { isSupervised, reportFailed } from '../up/supervised.js';
import { systemdSockets } from './systemd-sockets.js';

export async function runServe(files: string[], options: ServeOptions): Promise<void> {
  // Read when each function makes its logger, as the files load (in every --instances worker too: they inherit it).
  process.env.LIP_LOG_FORMAT = options.logFormat ?? envLogFormat() ?? (process.stderr.isTTY ? 'pretty' : 'json');
  const settings: ServeSettings = {
    socketDir: options.socketDir,
    graceMs: options.grace,
    nats: await natsOptionOf(options),
    socket: options.socket,
    metrics: options.metrics,
    takeOver: options.takeOver,
    listenFds: systemdSockets(),
  };
  const load = async () => withLogLevel(await loadFunctions(files, options.only ?? []), options.logLevel);
  if (cluster.isWorker) return runWorker(load, settings);
  try {
    if (options.instances > 1) return await runPrimary(options.instances);
    await serveHere(await load(), settings);
  } catch (error) {
    // `lip up` shows why a module could not start (a reload keeps the old version serving).
    if (isSupervised()) await reportFailed(describeError(error));
    throw error;
  }
}

function envLogFormat(): 'pretty' | 'json' | undefined {
  const value = process.env.LIP_LOG_FORMAT;
  return value === 'pretty' || value === 'json' ? value : undefined;
}

function withLogLevel(functions: LIPFunctionControls[], level: LogLevel | undefined): LIPFunctionControls[] {
  if (level !== undefined) for (const fn of functions) fn.setLogLevel(level);
  return functions;
}
