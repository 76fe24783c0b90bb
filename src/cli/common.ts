/**
 * Options every client command shares, and the one place a LIPClient is made
 * from them and closed again.
 */
import { stat } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { LIPClient } from '../client/lip-client.js';
import { isLogLevel, type LogLevel } from '../log/levels.js';
import { CliError, ExitCode } from './exit-codes.js';
import { natsOptionOf, type NatsFlags } from './nats-option.js';

export interface CommonOptions extends NatsFlags {
  socketDir?: string;
  verbose?: boolean;
}

export interface ClientOptions extends CommonOptions {
  timeout?: number;
  /** `lip call --max-frame-bytes`: the largest request sent and reply accepted. */
  maxFrameBytes?: number;
}

/** `--nats <url>`: NATS servers (comma-separated, repeatable), and how to authenticate to them (nats-option.ts). */
export function addNatsOption(command: Command, what: string): Command {
  return command
    .option('--nats <url>', `${what} (default: $NATS_URL)`, (value: string, previous: string[] = []) => [
      ...previous,
      ...value
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    ])
    .option('--nats-creds <file>', 'NATS credentials file (JWT and nkey seed) (default: $NATS_CREDS)')
    .option('--nats-user <user>', 'NATS user (default: $NATS_USER)')
    .option('--nats-pass <password>', 'NATS password; $NATS_PASSWORD keeps it out of the process list')
    .option('--nats-token <token>', 'NATS token (default: $NATS_TOKEN)');
}

/** `--socket-dir` and `--verbose`, on every command. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('--socket-dir <dir>', 'directory of the lipcm-<name>.sock files (default: $LIP_SOCKET_DIR, else /tmp)')
    .option('--verbose', 'print stack traces with errors');
}

/** What the shared options mean on one client command. */
export interface ClientOptionTexts {
  /** What `--timeout` limits. @default 'how long to wait for an answer' */
  timeout?: string;
  /** What `--nats` does; left out, the command takes no `--nats`. */
  nats?: string;
}

/** The options of every command that talks to servers: `--timeout`, `--nats` (where given), `--socket-dir`, `--verbose`. */
export function addClientOptions(command: Command, texts: ClientOptionTexts = {}): Command {
  command.option('--timeout <ms>', `${texts.timeout ?? 'how long to wait for an answer'}, in milliseconds (0 waits for ever)`, parseMs);
  if (texts.nats !== undefined) addNatsOption(command, texts.nats);
  return addCommonOptions(command);
}

export function parseMs(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of milliseconds >= 0');
  return n;
}

/** `--instances` (and a config's `instances`) at most: more is a typo, and would fork that many processes. */
export const MAX_INSTANCES = 256;

export function parseInstances(text: string): number {
  const n = parseCount(text);
  if (n > MAX_INSTANCES) throw new InvalidArgumentError(`expected at most ${MAX_INSTANCES} worker processes`);
  return n;
}

/** `--log-level`: a name, or the original's number (`30`), as the `logLevel` option takes it. */
export function parseLogLevel(text: string): LogLevel {
  const level = /^\d+$/.test(text) ? Number(text) : text;
  if (!isLogLevel(level)) throw new InvalidArgumentError('expected debug, info, warning, error, critical, silent, or 10..50');
  return level;
}

export function parseLogFormat(text: string): 'pretty' | 'json' {
  if (text !== 'pretty' && text !== 'json') throw new InvalidArgumentError('expected pretty or json');
  return text;
}

export function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

/** Runs `work` with a client for the chosen socket directory, then closes it whatever happens. */
export async function withClient<T>(options: ClientOptions, work: (client: LIPClient) => Promise<T>): Promise<T> {
  const nats = await natsOptionOf(options);
  const client = new LIPClient({
    socketDir: options.socketDir,
    ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
    ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}),
    ...(nats ? { nats } : {}),
  });
  try {
    return await work(client);
  } finally {
    // Nothing of ours is pending once work settled: no need to wait politely.
    client.destroy();
  }
}

/** For commands that list the directory: one that does not exist is a mistake to point out, not an empty list. */
export async function assertSocketDir(dir: string): Promise<void> {
  const stats = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new CliError(`the socket directory ${dir} does not exist (check --socket-dir or $LIP_SOCKET_DIR)`, ExitCode.Unreachable);
    throw error;
  });
  if (!stats.isDirectory()) throw new CliError(`the socket directory ${dir} is not a directory`, ExitCode.Unreachable);
}

/** What `lip stats` or `lip stop` answer for a function the Python original serves. */
export function pythonUnsupported(name: string, what: string): CliError {
  return new CliError(`'${name}' is served by the Python original, which does not support ${what} (only calls and docstrings)`, ExitCode.Failed, {
    code: 'ERR_LIP_UNSUPPORTED',
  });
}

/** Writes a line to stdout. */
export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A JSON document on stdout: indented on a terminal, one line in a pipe. */
export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, process.stdout.isTTY ? 2 : undefined));
}
