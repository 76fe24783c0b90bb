/**
 * The arguments of `lip call`, from the command line, files and stdin. Each
 * positional word is JSON when it parses as JSON, else the string as typed,
 * so `lip call add 2 3` sends numbers and `lip call greet world` a string.
 * Big inputs come from files (`--args @file`, `--arg-file`) or stdin (`--args -`):
 * the kernel limits a command line to about 2 MB.
 */
import { readFile } from 'node:fs/promises';
import { usageError } from './exit-codes.js';
import { parseJson } from './json-value.js';

export interface CallArgumentOptions {
  /** `--args`: a JSON array, `@file` holding one, or `-` for stdin. */
  args?: string | undefined;
  /** `--kwargs`: a JSON object, `@file` holding one, or `-` for stdin. */
  kwargs?: string | undefined;
  /** `--kw key=value`, repeated. */
  kw?: readonly string[] | undefined;
  /** `--arg-file [name=]path`, repeated: a file's bytes as an argument. */
  argFile?: readonly string[] | undefined;
}

export interface CallArguments {
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** Everything `lip call` will send: `--args`, then the words, then unnamed `--arg-file`s; keywords from `--kwargs`, `--kw` and named `--arg-file`s. */
export async function readCallArguments(words: readonly string[], options: CallArgumentOptions): Promise<CallArguments> {
  if (options.args === '-' && options.kwargs === '-') throw usageError('--args - and --kwargs - cannot both read stdin');
  const args: unknown[] = [];
  if (options.args !== undefined) {
    const parsed = parseOption('--args', await readSource('--args', options.args));
    if (!Array.isArray(parsed)) throw usageError('--args must be a JSON array, e.g. --args \'[1, "two"]\'');
    args.push(...parsed);
  }
  args.push(...words.map(parseArgValue));
  const kwargs: Record<string, unknown> = {};
  if (options.kwargs !== undefined) {
    const parsed = parseOption('--kwargs', await readSource('--kwargs', options.kwargs));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Buffer.isBuffer(parsed)) {
      throw usageError('--kwargs must be a JSON object, e.g. --kwargs \'{"a": 1}\'');
    }
    for (const [key, value] of Object.entries(parsed)) addKeyword(kwargs, key, value, '--kwargs');
  }
  for (const pair of options.kw ?? []) {
    const [key, value] = splitPair(pair, '--kw', 'key=value');
    addKeyword(kwargs, key, parseArgValue(value), '--kw');
  }
  for (const spec of options.argFile ?? []) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && /^[A-Za-z_$][\w$]*$/.test(spec.slice(0, eq));
    const path = named ? spec.slice(eq + 1) : spec;
    const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      throw usageError(`--arg-file ${spec}: cannot read ${path} (${error.code ?? error.message})`);
    });
    if (named) addKeyword(kwargs, spec.slice(0, eq), bytes, '--arg-file');
    else args.push(bytes);
  }
  return { args, kwargs };
}

/** A positional word or `--kw` value: JSON if it parses as JSON, else the text itself. */
export function parseArgValue(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

/** The text of an option that takes JSON, `@file` or `-` (stdin). */
async function readSource(option: string, value: string): Promise<string> {
  if (value === '-') return readStdin();
  if (!value.startsWith('@')) return value;
  const path = value.slice(1);
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw usageError(`${option} ${value}: cannot read ${path} (${error.code ?? error.message})`);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseOption(option: string, text: string): unknown {
  try {
    return parseJson(text);
  } catch (error) {
    throw usageError(`${option} is not valid JSON: ${(error as Error).message}`);
  }
}

function splitPair(pair: string, option: string, form: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw usageError(`${option} expects ${form}, got ${JSON.stringify(pair)}`);
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

function addKeyword(kwargs: Record<string, unknown>, key: string, value: unknown, option: string): void {
  if (key === '__proto__') throw usageError(`${option}: __proto__ is not a usable keyword`);
  if (Object.hasOwn(kwargs, key)) throw usageError(`${option}: the keyword argument '${key}' is given twice`);
  kwargs[key] = value;
}
