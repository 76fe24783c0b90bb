/**
 * The arguments of `lip call`, from the command line, files and stdin. Each
 * positional word is JSON when it parses as JSON, else the string as typed,
 * so `lip call add 2 3` sends numbers and `lip call greet world` a string.
 * Big inputs come from files (`--args @file`, `--arg-file`) or stdin (`--args -`):
 * the kernel limits a command line to about 2 MB.
 */
import { createReadStream } from 'node:fs';
import { ErrorCode, LIPProtocolError } from '../errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/frame.js';
import { usageError } from './exit-codes.js';
import { parseJson } from './json-value.js';

/**
 * How much of a source is worth reading: a file's bytes become one byte string, so more than a frame
 * holds could never be sent; JSON text is longer than what it encodes to (base64 of `$binary`, spaces),
 * so it gets room for that, still bounded.
 */
function limits(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): { file: number; json: number } {
  return { file: maxFrameBytes, json: 4 * maxFrameBytes };
}

export interface CallArgumentOptions {
  /** `--args`: a JSON array, `@file` holding one, or `-` for stdin. */
  args?: string | undefined;
  /** `--kwargs`: a JSON object, `@file` holding one, or `-` for stdin. */
  kwargs?: string | undefined;
  /** `--kw key=value`, repeated. */
  kw?: readonly string[] | undefined;
  /** `--arg-file [name=]path`, repeated: a file's bytes as an argument. */
  argFile?: readonly string[] | undefined;
  /** `--max-frame-bytes`: what a request may hold, so what is worth reading. */
  maxFrameBytes?: number | undefined;
}

export interface CallArguments {
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** Everything `lip call` will send: `--args`, then the words, then unnamed `--arg-file`s; keywords from `--kwargs`, `--kw` and named `--arg-file`s. */
export async function readCallArguments(words: readonly string[], options: CallArgumentOptions): Promise<CallArguments> {
  if (options.args === '-' && options.kwargs === '-') throw usageError('--args - and --kwargs - cannot both read stdin');
  const limit = limits(options.maxFrameBytes);
  const args: unknown[] = [];
  if (options.args !== undefined) {
    const parsed = parseOption('--args', await readSource('--args', options.args, limit.json));
    if (!Array.isArray(parsed)) throw usageError('--args must be a JSON array, e.g. --args \'[1, "two"]\'');
    args.push(...parsed);
  }
  args.push(...words.map(parseArgValue));
  const kwargs: Record<string, unknown> = {};
  if (options.kwargs !== undefined) {
    const parsed = parseOption('--kwargs', await readSource('--kwargs', options.kwargs, limit.json));
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
    const bytes = await readCapped(createReadStream(path), limit.file, `--arg-file ${spec}`).catch((error: NodeJS.ErrnoException) => {
      if (error instanceof LIPProtocolError) throw error;
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
async function readSource(option: string, value: string, limit: number): Promise<string> {
  if (value === '-') return (await readCapped(process.stdin, limit, `${option} -`)).toString('utf8');
  if (!value.startsWith('@')) return value;
  const path = value.slice(1);
  const bytes = await readCapped(createReadStream(path), limit, `${option} ${value}`).catch((error: NodeJS.ErrnoException) => {
    if (error instanceof LIPProtocolError) throw error;
    throw usageError(`${option} ${value}: cannot read ${path} (${error.code ?? error.message})`);
  });
  return bytes.toString('utf8');
}

/** Reads `input` to its end, or fails once it passes `limit` bytes (`yes | lip call f --args -` must not fill memory). */
async function readCapped(input: NodeJS.ReadableStream & { destroy(): void }, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of input) {
      total += (chunk as Buffer).length;
      if (total > limit) {
        throw new LIPProtocolError(`${what}: more than ${limit} bytes, more than a request can hold (maxFrameBytes); nothing was sent`, {
          code: ErrorCode.FrameTooLarge,
        });
      }
      chunks.push(chunk as Buffer);
    }
  } finally {
    input.destroy();
  }
  return Buffer.concat(chunks, total);
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
