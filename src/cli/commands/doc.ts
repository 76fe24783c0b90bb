/** `lip doc <name>`: everything a caller needs to know about one function. */
import type { Command } from 'commander';
import type { FunctionInfo } from '../../index.js';
import { addClientOptions, print, printJson, withClient, type ClientOptions } from '../common.js';
import { formatMs } from '../format.js';
import { onFunction } from '../checked-kind.js';
import { out } from '../style.js';

interface DocOptions extends ClientOptions {
  json?: boolean;
}

export function registerDoc(program: Command): void {
  const command = program
    .command('doc')
    .description('show the signature, documentation, parameters and cache settings of a function')
    .argument('<name>', 'function name')
    .option('--json', 'print what the server answers, as JSON')
    .addHelpText('after', '\nExamples:\n  $ lip doc add\n  $ lip doc add --json');
  addClientOptions(command, { nats: 'look over NATS too' }).action((name: string, options: DocOptions) => showDoc(name, options));
}

async function showDoc(name: string, options: DocOptions): Promise<void> {
  const answer = await withClient(options, (client) =>
    onFunction(client, name, async () => {
      if ((await client.serverKind(name)) === 'python') return { python: true as const, doc: await client.getDocstring(name) };
      return { python: false as const, info: await client.describe(name) };
    }),
  );
  if (answer.python) {
    if (options.json) return printJson({ name, doc: answer.doc, kind: 'python' });
    return print(renderPythonDoc(name, answer.doc));
  }
  if (options.json) return printJson(answer.info);
  print(renderDoc(answer.info));
}

/** All the Python original tells: its docstring. */
function renderPythonDoc(name: string, doc: string | null): string {
  return [
    out.bold(`${name}(…)`),
    '',
    doc?.trim() || out.dim('(no documentation)'),
    '',
    `${out.bold('Served')}   by the Python original (one request per connection): it tells its docstring only,`,
    '         not its parameters; lip call and ping work, stats and stop do not.',
  ].join('\n');
}

export function renderDoc(info: FunctionInfo): string {
  const lines = [out.bold(info.signature), ''];
  lines.push(info.doc?.trim() || out.dim('(no documentation)'), '');
  lines.push(out.bold('Parameters'));
  if (info.params.length === 0) lines.push('  (none)');
  for (const p of info.params) {
    const notes = [
      p.optional && !p.rest && (p.default === undefined ? 'optional' : `optional, default ${p.default}`),
      p.rest && 'rest: takes the remaining positional arguments',
      p.positionalOnly && 'positional only',
    ].filter(Boolean);
    lines.push(`  ${p.rest ? '...' : ''}${p.name}${p.type === undefined ? '' : `: ${p.type}`}${notes.length > 0 ? out.dim(`  (${notes.join(', ')})`) : ''}`);
  }
  const returns = info.returns === undefined ? '' : `${info.returns}, `;
  lines.push('', `${out.bold('Returns')}  ${returns}${info.streaming ? 'a stream (use lip call --stream to see each value)' : 'one value'}`);
  const cache = info.cache;
  const cacheText = cache.enabled
    ? `on, ${cache.max === 0 ? 'unbounded' : `at most ${cache.max} results`}, ${cache.ttlMs === 0 ? 'no expiry' : `entries expire after ${formatMs(cache.ttlMs)}`}`
    : 'off';
  lines.push(`${out.bold('Cache')}    ${cacheText}`);
  lines.push(`${out.bold('Served')}   by pid ${info.pid} since ${info.startedAt} (${info.lib}, function version ${info.version})`);
  if (info.schema !== undefined) lines.push('', out.bold('Argument schema'), JSON.stringify(info.schema, null, 2));
  return lines.join('\n');
}
