/** `lip call <name> [args...]`: calls a function and prints its result as JSON. */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import { readCallArguments } from '../call-args.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../protocol/frame.js';
import { addClientOptions, parseCount, print, withClient, type ClientOptions } from '../common.js';
import { onFunction } from '../checked-kind.js';
import { usageError } from '../exit-codes.js';
import { formatJson } from '../json-value.js';

interface CallCommandOptions extends ClientOptions {
  kw?: string[];
  args?: string;
  kwargs?: string;
  argFile?: string[];
  out?: string;
  stream?: boolean;
  raw?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCall(program: Command): void {
  const command = program
    .command('call')
    .description('call a function; each argument is parsed as JSON when it is valid JSON, else taken as a string')
    .argument('<name>', 'function name')
    .argument('[args...]', 'positional arguments')
    .option('--kw <key=value>', 'a keyword argument, value parsed like the positional ones (repeatable)', collect)
    .option(
      '--args <json|@file|->',
      'the positional arguments as one JSON array, from the option, a file (@args.json) or stdin (-); words after the name follow them',
    )
    .option('--kwargs <json|@file|->', 'the keyword arguments as one JSON object, from the option, a file or stdin (-)')
    .option('--arg-file <[name=]path>', "a file's bytes as an argument: keyword 'name', else the next positional one (repeatable)", collect)
    .option(
      '--max-frame-bytes <bytes>',
      `the largest request sent and reply accepted (default ${DEFAULT_MAX_FRAME_BYTES}; the server has its own limit)`,
      parseCount,
    )
    .option('--out <file>', 'write the result to a file instead of stdout (binary results as their bytes)')
    .option('--stream', 'print each value of a streaming function as it arrives, one JSON per line')
    .option('--raw', 'print a string result as is, and a binary result as its bytes')
    .option('--json', 'print errors as JSON on stderr: {"error": {"code", "name", "message", "remote"}}')
    .addHelpText(
      'after',
      `
Values: JSON results print as JSON; bytes as {"$binary": "<base64>"} (also accepted as an argument),
bigints as decimal strings (integers beyond 2^53 typed as arguments are sent as bigints), Dates as
ISO strings, Maps as {"$map": [[key, value], ...]}, typed arrays as arrays.

Examples:
  $ lip call add 2 3                      # 5
  $ lip call greet world                  # "hello world"  (not JSON, so a string)
  $ lip call greet '"42"'                 # the string "42", not the number
  $ lip call area --kw width=3 --kw height=4
  $ lip call area --kwargs '{"width": 3, "height": 4}'
  $ lip call sum --args @numbers.json     # or: generate | lip call sum --args -
  $ lip call thumbnail --arg-file image=./photo.png --out thumb.png
  $ lip call countdown 3 --stream
  $ lip call slow 5 --timeout 1000`,
    );
  addClientOptions(command, {
    timeout: 'deadline of the call (default 30000; none for --stream)',
    nats: 'call over NATS when the function is not served here',
  }).action((name: string, words: string[], options: CallCommandOptions) => call(name, words, options));
}

async function call(name: string, words: string[], options: CallCommandOptions): Promise<void> {
  if (options.out !== undefined && options.raw) throw usageError('--out writes bytes and strings as they are already: drop --raw');
  const { args, kwargs } = await readCallArguments(words, options);
  const callOptions = options.timeout !== undefined ? { timeoutMs: options.timeout } : {};
  const sink = options.out === undefined ? undefined : await openOut(options.out);
  try {
    await withClient(options, (client) =>
      onFunction(client, name, async () => {
        if (options.stream) {
          for await (const item of client.stream(name, args, kwargs, callOptions)) emit(item, sink, options.raw, false);
          return;
        }
        emit(await client.callFunction(name, args, kwargs, callOptions), sink, options.raw, process.stdout.isTTY === true);
      }),
    );
  } finally {
    if (sink) await new Promise<void>((resolve, reject) => sink.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

function openOut(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  return new Promise((resolve, reject) => {
    stream.once('open', () => resolve(stream));
    stream.once('error', (error: NodeJS.ErrnoException) => reject(usageError(`--out ${path}: cannot write (${error.code ?? error.message})`)));
  });
}

/**
 * One value to stdout, or to the --out file. With --raw (stdout) or --out, bytes and strings go as they
 * are (with --out, nothing is added to them: the file holds the result itself); anything else as JSON.
 */
function emit(value: unknown, sink: WriteStream | undefined, raw: boolean | undefined, pretty: boolean): void {
  if (sink) {
    if (value instanceof Uint8Array || typeof value === 'string') sink.write(value);
    else sink.write(`${formatJson(value, false)}\n`);
    return;
  }
  if (raw && value instanceof Uint8Array) {
    process.stdout.write(value);
    return;
  }
  print(raw && typeof value === 'string' ? value : formatJson(value, pretty));
}
