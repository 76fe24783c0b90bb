/**
 * `lip metrics`: the Prometheus text exposition of every function in a socket
 * directory, from their `stats` verb, for node_exporter's textfile collector.
 */
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { LIPClient } from '../../client/lip-client.js';
import type { FunctionStats, MetricsSource } from '../../index.js';
import { addClientOptions, assertSocketDir, withClient, type ClientOptions } from '../common.js';

interface MetricsOptions extends ClientOptions {
  output?: string;
}

export function registerMetrics(program: Command): void {
  const command = program
    .command('metrics')
    .description('print the Prometheus exposition of every function in the socket directory')
    .option('-o, --output <file>', "write it to <file> instead, atomically (for node_exporter's textfile collector: a name ending in .prom)")
    .addHelpText('after', '\nExamples:\n  $ lip metrics\n  $ lip metrics --output /var/lib/node_exporter/textfile/lipmodule.prom');
  addClientOptions(command).action((options: MetricsOptions) => metrics(options));
}

async function metrics(options: MetricsOptions): Promise<void> {
  // Loaded here, not with the command table: the library costs every other command its start-up time.
  const { metricsExposition } = await import('../../index.js');
  const text = await withClient(options, async (client) => metricsExposition(await collect(client)));
  if (options.output === undefined) {
    process.stdout.write(text);
    return;
  }
  // The collector may read at any moment: it must see the old file or the new one, never half of one.
  const partial = join(dirname(options.output), `.${basename(options.output)}.${process.pid}.tmp`);
  await writeFile(partial, text, { mode: 0o644 });
  await rename(partial, options.output);
}

/** Every live function's stats; one that stops answering meanwhile (or a Python original's) is left out. */
async function collect(client: LIPClient): Promise<MetricsSource[]> {
  await assertSocketDir(client.socketDir);
  await client.refreshSockets();
  const names = await client.listFunctions();
  const all = await Promise.all(names.map((name) => client.stats(name).catch(() => undefined)));
  return all.filter((stats): stats is FunctionStats => stats !== undefined);
}
