/** `lip stop <name>`: asks the server to shut the function down gracefully. */
import { lstat } from 'node:fs/promises';
import type { Command } from 'commander';
import { addCommonOptions, addTimeoutOption, print, pythonUnsupported, withClient, type ClientOptions } from '../common.js';
import { CliError, ExitCode } from '../exit-codes.js';

interface StopOptions extends ClientOptions {
  wait: boolean;
}

const DEFAULT_WAIT_MS = 15_000;

export function registerStop(program: Command): void {
  const command = program
    .command('stop')
    .description('ask a function to shut down gracefully: running calls finish, then its socket file is removed')
    .argument('<name>', 'function name')
    .option('--no-wait', 'return once the server agreed, without waiting for its socket file to go')
    .addHelpText(
      'after',
      `
Only the socket's owner can connect (socket files are mode 0600 unless the function widened socketMode), so only they can stop a function.

Examples:
  $ lip stop add
  $ lip stop add --no-wait`,
    );
  addTimeoutOption(command, 'how long to wait for the server to agree and, unless --no-wait, to finish');
  addCommonOptions(command).action((name: string, options: StopOptions) => stop(name, options));
}

async function stop(name: string, options: StopOptions): Promise<void> {
  await withClient(options, async (client) => {
    if ((await client.serverKind(name)) === 'python') throw pythonUnsupported(name, 'stop');
    const { pid } = await client.describe(name);
    const [socket] = (await client.listSockets()).filter((s) => s.name === name);
    if (!(await client.stop(name))) throw new CliError(`'${name}' refused to stop`, ExitCode.Failed);
    if (options.wait && socket) await waitUntilGone(name, socket.path, options.timeout ?? DEFAULT_WAIT_MS);
    print(`stopped ${name} (pid ${pid})`);
  });
}

async function waitUntilGone(name: string, path: string, timeoutMs: number): Promise<void> {
  const end = timeoutMs === 0 ? Infinity : Date.now() + timeoutMs;
  while (await lstat(path).then(() => true, () => false)) {
    if (Date.now() > end) throw new CliError(`'${name}' agreed to stop but is still draining after ${timeoutMs} ms`, ExitCode.Timeout);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
