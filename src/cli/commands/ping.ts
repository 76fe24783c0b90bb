/** `lip ping <name>`: is it there, and how long does a round trip take. */
import type { Command } from 'commander';
import type { LIPClient } from '../../index.js';
import { addClientOptions, parseCount, print, printJson, withClient, type ClientOptions } from '../common.js';
import { formatMs } from '../format.js';
import { onFunction } from '../checked-kind.js';

interface PingOptions extends ClientOptions {
  count: number;
  json?: boolean;
}

export function registerPing(program: Command): void {
  const command = program
    .command('ping')
    .description('measure the round-trip time to a function (over one kept-open connection)')
    .argument('<name>', 'function name')
    .option('-c, --count <n>', 'how many pings', parseCount, 1)
    .option('--json', 'print {name, pid, ms: [...], min, avg, max} as JSON')
    .addHelpText('after', '\nExamples:\n  $ lip ping add\n  $ lip ping add -c 5 --json');
  addClientOptions(command, { nats: 'ping over NATS when the function is not served here' }).action((name: string, options: PingOptions) =>
    ping(name, options),
  );
}

async function ping(name: string, options: PingOptions): Promise<void> {
  await withClient(options, (client) => onFunction(client, name, () => pingFunction(client, name, options)));
}

async function pingFunction(client: LIPClient, name: string, options: PingOptions): Promise<void> {
  // The Python original tells no pid: its ping is a docstring request.
  const pid = (await client.serverKind(name)) === 'python' ? null : (await client.describe(name)).pid;
  const who = pid === null ? 'the Python original' : `pid ${pid}`;
  const times: number[] = [];
  for (let i = 0; i < options.count; i++) {
    const ms = await client.ping(name);
    times.push(ms);
    if (!options.json) print(`pong from ${name} (${who}): ${formatMs(ms)}`);
  }
  const min = Math.min(...times);
  const max = Math.max(...times);
  const avg = times.reduce((sum, ms) => sum + ms, 0) / times.length;
  if (options.json) return printJson({ name, pid, ms: times, min, avg, max });
  // As ping(8) ends.
  print(`--- ${name} ping statistics ---`);
  print(`${times.length} ping${times.length === 1 ? '' : 's'}, round-trip min/avg/max = ${[min, avg, max].map((ms) => ms.toFixed(3)).join('/')} ms`);
}
