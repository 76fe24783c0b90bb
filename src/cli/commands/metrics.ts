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
  // Other processes' answers: a figure no server could have counted is left out, and said so here.
  const onWarning = (message: string) => process.stderr.write(`lip metrics: warning: ${message}\n`);
  const text = await withClient(options, async (client) => metricsExposition(await collect(client, onWarning), { onWarning }));
  if (options.output === undefined) {
    process.stdout.write(text);
    return;
  }
  // The collector may read at any moment: it must see the old file or the new one, never half of one.
  const partial = join(dirname(options.output), `.${basename(options.output)}.${process.pid}.tmp`);
  await writeFile(partial, text, { mode: 0o644 });
  await rename(partial, options.output);
}

/**
 * Every live function's stats, under the name its socket has (whatever its answer says); one that
 * stops answering meanwhile (or a Python original's) is left out.
 */
async function collect(client: LIPClient, warn: (message: string) => void): Promise<MetricsSource[]> {
  await assertSocketDir(client.socketDir);
  await client.refreshSockets();
  const names = await client.listFunctions();
  const all = await Promise.all(
    names.map((name) =>
      client.stats(name).then(
        (stats) => named(stats, name, warn),
        () => undefined,
      ),
    ),
  );
  return all.filter((stats): stats is MetricsSource => stats !== undefined);
}

/** The answer under the socket's name; one that isn't an object is left out, said so. */
function named(stats: FunctionStats, name: string, warn: (message: string) => void): MetricsSource | undefined {
  const answer: unknown = stats;
  if (typeof answer === 'object' && answer !== null && !Array.isArray(answer)) return { ...stats, name };
  warn(`${JSON.stringify(name)}: its stats answer is not an object: left out`);
  return undefined;
}
