/** `lip call <name> [args...]`: calls a function and prints its result as JSON. */
import type { Command } from 'commander';
import { parseArgsOption, parseKeywords } from '../call-args.js';
import { addCommonOptions, addNatsOption, addTimeoutOption, print, withClient, type ClientOptions } from '../common.js';
import { formatJson } from '../json-value.js';

interface CallCommandOptions extends ClientOptions {
  kw?: string[];
  args?: string;
  stream?: boolean;
  raw?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCall(program: Command): void {
  const command = program
    .command('call')
    .description('call a function; each argument is parsed as JSON when it is valid JSON, else taken as a string')
    .argument('<name>', 'function name')
    .argument('[args...]', 'positional arguments')
    .option('--kw <key=value>', 'a keyword argument, value parsed like the positional ones (repeatable)', collect)
    .option('--args <json>', 'the positional arguments as one JSON array (any words after the name follow them)')
    .option('--stream', 'print each value of a streaming function as it arrives, one JSON per line')
    .option('--raw', 'print a string result as is, and a binary result as its bytes')
    .addHelpText(
      'after',
      `
Values: JSON results print as JSON; bytes as {"$binary": "<base64>"} (also accepted as an argument),
bigints as decimal strings, Dates as ISO strings, Maps as {"$map": [[key, value], ...]}.

Examples:
  $ lip call add 2 3                      # 5
  $ lip call greet world                  # "hello world"  (not JSON, so a string)
  $ lip call greet '"42"'                 # the string "42", not the number
  $ lip call area --kw width=3 --kw height=4
  $ lip call sum --args '[[1, 2, 3]]'
  $ lip call countdown 3 --stream
  $ lip call slow 5 --timeout 1000`,
    );
  addTimeoutOption(command, 'deadline of the call (default 30000; none for --stream)');
  addNatsOption(command, 'call over NATS when the function is not served here');
  addCommonOptions(command).action((name: string, words: string[], options: CallCommandOptions) => call(name, words, options));
}

async function call(name: string, words: string[], options: CallCommandOptions): Promise<void> {
  const args = parseArgsOption(options.args, words);
  const kwargs = parseKeywords(options.kw ?? []);
  const callOptions = options.timeout !== undefined ? { timeoutMs: options.timeout } : {};
  await withClient(options, async (client) => {
    if (options.stream) {
      for await (const item of client.stream(name, args, kwargs, callOptions)) printResult(item, options.raw, false);
      return;
    }
    printResult(await client.callFunction(name, args, kwargs, callOptions), options.raw, process.stdout.isTTY === true);
  });
}

function printResult(value: unknown, raw: boolean | undefined, pretty: boolean): void {
  if (raw && typeof value === 'string') return print(value);
  if (raw && value instanceof Uint8Array) {
    process.stdout.write(value);
    return;
  }
  print(formatJson(value, pretty));
}
