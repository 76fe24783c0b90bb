/**
 * `lip up`: each module in its own `lip serve` process (module-process.ts), shown in one report, all
 * stopped gracefully on Ctrl-C or SIGTERM. Ends by itself once every module is stopped or failed.
 */
import { CliError, ExitCode } from '../exit-codes.js';
import { onShutdownSignals } from '../serve/lifecycle.js';
import type { UpConfig } from './config.js';
import { ModuleProcess } from './module-process.js';
import { type ReportMode, UpReport } from './report.js';
import { watchModules } from './watch.js';

export interface UpOptions {
  json: boolean;
  logFormat: 'pretty' | 'json' | undefined;
}

export async function runUp(config: UpConfig, options: UpOptions): Promise<void> {
  const mode: ReportMode = options.json ? 'json' : process.stdout.isTTY ? 'table' : 'lines';
  const report = new UpReport(mode, config.socketDir);
  const settings = {
    socketDir: config.socketDir,
    grace: config.grace,
    logLevel: config.logLevel,
    logFormat: options.logFormat ?? (options.json ? 'json' : 'pretty'),
  } as const;
  const modules = config.modules.map((spec) => new ModuleProcess(spec, settings, (event) => report.event(event)));
  report.start(modules);
  for (const module of modules) module.start();
  const stopWatching = config.watch ? watchModules(modules) : undefined;
  let stopping = false;
  const removeSignals = onShutdownSignals((signal) => {
    stopping = true;
    if (mode !== 'json') process.stderr.write(`lip up: ${signal}: stopping every module; running calls finish first\n`);
    stopWatching?.();
    for (const module of modules) void module.stop();
  });
  await Promise.all(modules.map((m) => m.done));
  stopWatching?.();
  removeSignals();
  report.stop();
  if (!stopping && modules.every((m) => m.state === 'failed')) throw new CliError('every module failed', ExitCode.Failed);
}
