/** `lip stats [name]`: call counts, errors, latency and cache figures; `--watch` refreshes them in place. */
import type { Command } from 'commander';
import type { FunctionStats, LIPClient } from '../../index.js';
import { addClientOptions, assertSocketDir, parseCount, print, printJson, pythonUnsupported, withClient, type ClientOptions } from '../common.js';
import { formatMs, formatTable, formatUptime } from '../format.js';
import { checkedServerKind, onFunction } from '../checked-kind.js';
import { out } from '../style.js';

interface StatsOptions extends ClientOptions {
  json?: boolean;
  watch?: boolean;
  interval: number;
}

export function registerStats(program: Command): void {
  const command = program
    .command('stats')
    .description('show calls, errors, latency and cache figures of one function, or of all')
    .argument('[name]', 'function name (default: every live function)')
    .option('--json', 'print JSON (with --watch, one line per refresh)')
    .option('-w, --watch', 'refresh until interrupted (Ctrl-C)')
    .option('--interval <ms>', 'refresh period with --watch', parseCount, 1000)
    .addHelpText('after', '\nExamples:\n  $ lip stats\n  $ lip stats fib --json\n  $ lip stats --watch --interval 500');
  addClientOptions(command, { nats: 'look over NATS too' }).action((name: string | undefined, options: StatsOptions) => stats(name, options));
}

async function stats(name: string | undefined, options: StatsOptions): Promise<void> {
  await withClient(options, async (client) => {
    if (!options.watch) return show(await collect(client, name), options, name);
    await watch(client, name, options);
  });
}

async function collect(client: LIPClient, name: string | undefined): Promise<FunctionStats[]> {
  if (name !== undefined) {
    if ((await checkedServerKind(client, name)) === 'python') throw pythonUnsupported(name, 'stats');
    return [await onFunction(client, name, () => client.stats(name))];
  }
  await assertSocketDir(client.socketDir);
  await client.refreshSockets();
  const names = await client.listFunctions();
  const all = await Promise.all(names.map((n) => client.stats(n).catch(() => undefined)));
  return all.filter((s): s is FunctionStats => s !== undefined);
}

function show(list: FunctionStats[], options: StatsOptions, name: string | undefined): void {
  if (options.json) printJson(name !== undefined ? list[0] : list);
  else print(render(list));
}

function render(list: FunctionStats[]): string {
  if (list.length === 0) return out.dim('no functions served here');
  const rows = list.map((s) => [
    s.name,
    String(s.pid),
    formatUptime(s.uptimeMs),
    String(s.calls),
    s.errors > 0 ? out.red(String(s.errors)) : '0',
    String(s.inFlight),
    String(s.queued),
    s.latencyMs.samples > 0 ? formatMs(s.latencyMs.p50) : '-',
    s.latencyMs.samples > 0 ? formatMs(s.latencyMs.p99) : '-',
    s.latencyMs.samples > 0 ? formatMs(s.latencyMs.max) : '-',
    `${s.cache.hits}/${s.cache.misses}`,
  ]);
  return formatTable(['NAME', 'PID', 'UPTIME', 'CALLS', 'ERRORS', 'RUNNING', 'QUEUED', 'P50', 'P99', 'MAX', 'CACHE HIT/MISS'], rows);
}

/** Redraws the table in place on a terminal (appends in a pipe) until SIGINT/SIGTERM. */
async function watch(client: LIPClient, name: string | undefined, options: StatsOptions): Promise<void> {
  const tty = process.stdout.isTTY === true && !options.json;
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let drawnLines = 0;
  try {
    while (!stopped) {
      const list = await collect(client, name);
      if (options.json) print(JSON.stringify(name !== undefined ? list[0] : list));
      else {
        const text = `${render(list)}\n${out.dim(`${new Date().toLocaleTimeString()}  every ${options.interval} ms, Ctrl-C to stop`)}`;
        // Move up over the previous table and clear to the end of the screen.
        if (tty && drawnLines > 0) process.stdout.write(`\u001b[${drawnLines}F\u001b[0J`);
        print(tty ? text : `${text}\n`);
        drawnLines = text.split('\n').length;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
