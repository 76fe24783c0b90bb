/** `lip stop <name>` / `lip stop --all`: asks servers to shut functions down gracefully. */
import { lstat } from 'node:fs/promises';
import type { Command } from 'commander';
import { LIPNotLipServerError } from '../../errors.js';
import type { LIPClient } from '../../index.js';
import { addClientOptions, assertSocketDir, print, pythonUnsupported, withClient, type ClientOptions } from '../common.js';
import { CliError, ExitCode, exitCodeFor, usageError } from '../exit-codes.js';
import { describeError } from '../report-error.js';
import { checkedServerKind, onFunction } from '../checked-kind.js';
import { err } from '../style.js';

interface StopOptions extends ClientOptions {
  wait: boolean;
  all?: boolean;
}

const DEFAULT_WAIT_MS = 15_000;

export function registerStop(program: Command): void {
  const command = program
    .command('stop')
    .description('ask a function (or every one, with --all) to shut down gracefully: running calls finish, then its socket file is removed')
    .argument('[name]', 'function name')
    .option('--all', 'stop every lipmodule function served in the socket directory')
    .option('--no-wait', 'return once the server agreed, without waiting for its socket file to go')
    .addHelpText(
      'after',
      `
Only the socket's owner can connect (socket files are mode 0600 unless the function widened socketMode), so only they can stop a function.

Examples:
  $ lip stop add
  $ lip stop add --no-wait
  $ lip stop --all`,
    );
  addClientOptions(command, { timeout: 'how long to wait for the server to agree and, unless --no-wait, to finish' }).action(
    (name: string | undefined, options: StopOptions) => stop(name, options),
  );
}

async function stop(name: string | undefined, options: StopOptions): Promise<void> {
  if (options.all && name !== undefined) throw usageError('give a name or --all, not both');
  if (!options.all && name === undefined) throw usageError('which function? give its name, or --all for every one');
  await withClient(options, async (client) => {
    if (!options.all) return stopOne(client, name!, options);
    await assertSocketDir(client.socketDir);
    const live = (await client.listSockets()).filter((s) => s.state === 'live').map((s) => s.name);
    let failure: unknown;
    let stopped = 0;
    // One after another: each waits for its socket file to go, and the output stays in order.
    for (const each of live) {
      try {
        const kind = await checkedServerKind(client, each);
        if (kind === 'python') {
          process.stderr.write(`${err.dim(`skipped ${each}: the Python original cannot be stopped by lip`)}\n`);
          continue;
        }
        await stopOne(client, each, options);
        stopped++;
      } catch (error) {
        if (error instanceof LIPNotLipServerError) {
          // Not ours to stop: --all stops lipmodule functions.
          process.stderr.write(`${err.dim(`skipped ${each}: ${(error as Error).message.replace(`'${each}' is `, '')}`)}\n`);
          continue;
        }
        process.stderr.write(`${err.red('lip: error:')} ${describeError(error)}\n`);
        failure ??= error;
      }
    }
    if (stopped === 0 && failure === undefined) print('nothing to stop');
    if (failure !== undefined) throw new CliError('some functions did not stop (see above)', exitCodeFor(failure));
  });
}

async function stopOne(client: LIPClient, name: string, options: StopOptions): Promise<void> {
  if ((await checkedServerKind(client, name)) === 'python') throw pythonUnsupported(name, 'stop');
  const { pid } = await onFunction(client, name, () => client.describe(name));
  const [socket] = (await client.listSockets()).filter((s) => s.name === name);
  if (!(await client.stop(name))) throw new CliError(`'${name}' refused to stop`, ExitCode.Failed);
  if (options.wait && socket) await waitUntilGone(name, socket.path, options.timeout ?? DEFAULT_WAIT_MS);
  print(`stopped ${name} (pid ${pid})`);
}

async function waitUntilGone(name: string, path: string, timeoutMs: number): Promise<void> {
  const end = timeoutMs === 0 ? Infinity : Date.now() + timeoutMs;
  while (
    await lstat(path).then(
      () => true,
      () => false,
    )
  ) {
    if (Date.now() > end) throw new CliError(`'${name}' agreed to stop but is still draining after ${timeoutMs} ms`, ExitCode.Timeout);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
