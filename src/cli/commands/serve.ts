/** `lip serve <file...>`: serves the functions that module files export. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { addCommonOptions, addNatsOption, parseInstances, parseLogFormat, parseLogLevel, parseMs } from '../common.js';
import type { ServeOptions } from '../serve/serve-options.js';
import { usageError } from '../exit-codes.js';
import { parseMetricsAddress, type MetricsAddress } from '../serve/metrics-address.js';
import { modulesOfFiles } from '../up/config.js';

const collectNames = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean),
];

function parseMetrics(text: string): MetricsAddress {
  const address = parseMetricsAddress(text);
  if (!address) throw new InvalidArgumentError('expected HOST:PORT, [IPv6]:PORT, or a port (on 127.0.0.1)');
  return address;
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('serve every LIPModule function (and @LIPModule method of exported instances) the files export')
    .argument('<file...>', 'module files: .js, .mjs, .cjs, or .ts (through tsx if installed, else Node >= 22.18 type stripping)')
    .option('--only <names>', 'serve only these functions (comma-separated, repeatable)', collectNames)
    .option('--log-level <level>', "debug, info, warning, error, critical or silent (default: each function's logLevel option, else info)", parseLogLevel)
    .option('--log-format <format>', 'pretty (readable lines) or json (pino JSON lines) on stderr (default: pretty on a terminal, else json)', parseLogFormat)
    .option('--instances <n>', 'run n worker processes sharing each socket; connections are handed to them in turn', parseInstances, 1)
    .option('--grace <ms>', "on shutdown, how long running calls may take (default: each function's exitTimeoutMs, else 10000)", parseMs)
    .option('--no-socket', 'with --nats: serve over NATS only, with no Unix socket')
    .option('--metrics <host:port>', 'serve the Prometheus exposition of these functions on GET /metrics (a bare port: on 127.0.0.1)', parseMetrics)
    .option('-w, --watch', 'reload when the files change: a new process takes the sockets over, then the old one drains (no call dropped)')
    .addOption(new Option('--take-over', 'take each socket path over from the server there (lip up --watch reloads so)').hideHelp())
    .addHelpText(
      'after',
      `
Prints one line per function with its socket path. SIGINT or SIGTERM stops gracefully:
running calls finish, then the socket files are removed; a second signal exits at once.

Examples:
  $ lip serve ./math.ts
  $ lip serve ./math.ts ./text.js --only add,greet --socket-dir /run/user/1000/lip
  $ lip serve ./fib.js --instances 4 --log-level warning
  $ lip serve ./math.ts --nats nats://10.0.0.5:4222      # also a NATS service; replicas share the load
  $ lip serve ./math.ts --metrics 9464                   # Prometheus scrapes http://127.0.0.1:9464/metrics`,
    );
  addNatsOption(command, 'also serve each function as a NATS service at this server (comma-separated for several)');
  addCommonOptions(command).action((files: string[], options: ServeOptions) => serve(files, options));
}

async function serve(files: string[], options: ServeOptions): Promise<void> {
  if (!options.socket && !options.nats?.length && !process.env.NATS_URL) throw usageError('--no-socket needs --nats <url>: there would be nowhere to serve');
  // Each instance has its own figures, and one port can't be every instance's: `lip metrics` reads them all.
  if (options.metrics && options.instances > 1)
    throw usageError("--metrics serves one process's figures: with --instances, use `lip metrics` (it asks every instance)");
  if (options.watch) return serveWatched(files, options);
  // Loaded only here: the server side (pino, acorn, the loaders) costs every other command its start-up time.
  const { runServe } = await import('../serve/run-serve.js');
  await runServe(files, options);
}

/** `lip serve --watch`: the files as one module of `lip up --watch`, which does the reloading. */
async function serveWatched(files: string[], options: ServeOptions): Promise<void> {
  if (options.instances > 1) throw usageError('--watch reloads one process: leave out --instances (its workers share a socket no new process can take over)');
  if (options.nats?.length || options.metrics || options.takeOver)
    throw usageError('--watch reloads a socket-only lip serve: leave out --nats, --metrics and --take-over (or run lip up)');
  const [module] = modulesOfFiles(files);
  const spec = {
    ...module!,
    files: module!.files.concat(modulesOfFiles(files.slice(1)).flatMap((m) => m.files)),
    only: options.only ?? [],
    instances: options.instances,
  };
  const { runUp } = await import('../up/run-up.js');
  await runUp(
    { modules: [spec], socketDir: options.socketDir, grace: options.grace, logLevel: options.logLevel, watch: true },
    { json: false, logFormat: options.logFormat },
  );
}
