/** `lip up [files...]`: every module in its own process, restarted when it fails, reloaded on change with --watch. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { LogLevel } from '../../log/levels.js';
import { addCommonOptions, parseLogFormat, parseLogLevel, type CommonOptions } from '../common.js';
import { usageError } from '../exit-codes.js';
import { CONFIG_FILE, GRACE_RULE, isGrace, modulesOfFiles, readConfig, type UpConfig } from '../up/config.js';

interface UpCommandOptions extends CommonOptions {
  config?: string;
  watch?: boolean;
  json?: boolean;
  logLevel?: LogLevel;
  logFormat?: 'pretty' | 'json';
  grace?: number;
}

export function registerUp(program: Command): void {
  const command = program
    .command('up')
    .description(`run module files (or the modules of ${CONFIG_FILE}), each in its own process, restarted when it fails`)
    .argument('[file...]', `module files, one process each (default: the modules of ./${CONFIG_FILE})`)
    .option('--config <file>', `read the modules and their options from this file (default: ./${CONFIG_FILE} when no files are given)`)
    .option('-w, --watch', 'reload a module when its files change: the new process takes its sockets over, no call is dropped')
    .option('--json', 'one JSON line per event on stdout (serving, exited, restarting, failed, reload-failed, stopped)')
    .option('--log-level <level>', 'the log level of every module (default: each function’s logLevel option)', parseLogLevel)
    .option('--log-format <format>', 'pretty or json, for the modules’ logs (default: json with --json, else pretty)', parseLogFormat)
    .option('--grace <ms>', 'on stop or reload, how long running calls may take (default: each function’s exitTimeoutMs)', parseGrace)
    .addHelpText(
      'after',
      `
On a terminal: one live table (function, state, pid, calls, errors, p50/p99, restarts); in a pipe:
one line per event. A module that ends on its own is restarted with exponential backoff; after 5
failures within 60 s it is marked failed. Ctrl-C or SIGTERM drains every module, then exits 0;
lip up exits 1 by itself when every module has failed. The ${CONFIG_FILE} schema is in docs/DEPLOY.md.

Examples:
  $ lip up ./math.ts ./billing.ts
  $ lip up --watch                      # the modules of ./${CONFIG_FILE}, reloaded on change
  $ lip up ./math.ts --json | jq .`,
    );
  addCommonOptions(command).action((files: string[], options: UpCommandOptions) => up(files, options));
}

async function up(files: string[], options: UpCommandOptions): Promise<void> {
  const config = await configOf(files, options);
  // Loaded only here, as lip serve's server side is.
  const { runUp } = await import('../up/run-up.js');
  await runUp(config, { json: options.json === true, logFormat: options.logFormat });
}

/** The command line's files, else the config file; options on the command line win over the file's. */
async function configOf(files: string[], options: UpCommandOptions): Promise<UpConfig> {
  if (files.length > 0 && options.config) throw usageError(`give module files or --config, not both`);
  let config: UpConfig;
  if (files.length > 0) {
    for (const file of files) if (!existsSync(file)) throw usageError(`no such file: ${file}`);
    config = { modules: modulesOfFiles(files), socketDir: undefined, grace: undefined, logLevel: undefined, watch: false };
  } else {
    const path = resolve(options.config ?? CONFIG_FILE);
    if (!options.config && !existsSync(path)) throw usageError(`nothing to run: give module files, or write ${CONFIG_FILE} here (see docs/DEPLOY.md)`);
    config = await readConfig(path);
  }
  return {
    ...config,
    socketDir: options.socketDir !== undefined ? resolve(options.socketDir) : config.socketDir,
    grace: options.grace ?? config.grace,
    logLevel: options.logLevel ?? config.logLevel,
    watch: options.watch === true || config.watch,
  };
}

/** `--grace`: checked where it is given, as the config's `grace` is (commander's usage error names the option). */
function parseGrace(text: string): number {
  const ms = text.trim() === '' ? Number.NaN : Number(text);
  if (!isGrace(ms)) throw new InvalidArgumentError(`expected ${GRACE_RULE}`);
  return ms;
}
