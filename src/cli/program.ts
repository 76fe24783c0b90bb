/** The `lip` command tree: one file per command under commands/. */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerCall } from './commands/call.js';
import { registerCompletion } from './commands/completion.js';
import { registerDemo } from './commands/demo.js';
import { registerDoc } from './commands/doc.js';
import { registerHealth } from './commands/health.js';
import { registerLs } from './commands/ls.js';
import { registerMetrics } from './commands/metrics.js';
import { registerPing } from './commands/ping.js';
import { registerServe } from './commands/serve.js';
import { registerStats } from './commands/stats.js';
import { registerStop } from './commands/stop.js';
import { registerUnit } from './commands/unit.js';
import { registerUp } from './commands/up.js';
import { err } from './style.js';

export function buildProgram(): Command {
  const program = new Command('lip')
    .description('Serve plain functions on Unix domain sockets, and list, document, call, watch (lip stats --watch) and stop them.')
    .version(VERSION, '-V, --version', 'print the lipmodule version')
    .helpCommand('help [command]', 'show help for a command')
    // Set before the commands are added, so they inherit it: usage errors come back to main() for exit code 2.
    .exitOverride()
    .showHelpAfterError('(run lip <command> --help for usage and examples)')
    .configureOutput({ outputError: (text, write) => write(err.red(`lip: ${text}`)) });
  program.addHelpText(
    'after',
    `
Exit status: 0 ok, 1 the function raised, 2 usage error, 3 not found or not reachable, 4 timeout,
  5 protocol error (not a LIP server, a frame too large), 130 interrupted, 141 stdout closed (| head).
  Each is explained in docs/CLI.md.

Examples:
  $ lip demo                      # see it work in ten seconds
  $ lip serve ./math.ts           # serve what a module file exports
  $ lip ls                        # what is served, and stale socket files
  $ lip call add 2 3              # 5
  $ lip doc add
  $ lip stats --watch`,
  );
  registerServe(program);
  registerUp(program);
  registerLs(program);
  registerDoc(program);
  registerCall(program);
  registerStats(program);
  registerMetrics(program);
  registerPing(program);
  registerHealth(program);
  registerUnit(program);
  registerStop(program);
  registerDemo(program);
  registerCompletion(program);
  return program;
}
