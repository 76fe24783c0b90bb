/**
 * `lip demo`: serves the example functions of demo-functions.ts in a child
 * process, calls each one from here, prints what happens, and cleans up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { LIPClient } from '../../client/lip-client.js';
import { isLIPRemoteError } from '../../errors.js';
import { print } from '../common.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatMs } from '../format.js';
import { formatJson } from '../json-value.js';
import { out } from '../style.js';

const NAMES = ['add', 'slowFib', 'divide', 'countdown'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a few example functions under lip up and call each one: a call, a cached call, an error, a stream, a crash and its restart')
    .option('--verbose', 'print stack traces with errors')
    .addHelpText('after', '\nExample:\n  $ lip demo\n\nThe functions are in dist/cli/demo-functions.js; run your own the same way with lip up (or lip serve).')
    .action(() => demo());
}

async function demo(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lip-demo-'));
  let child: ChildProcess | undefined;
  const client = new LIPClient({ socketDir: dir, timeoutMs: 10_000 });
  try {
    child = startServer(dir);
    // `lip demo | head -3` ends this process at once (main.ts, on EPIPE): lip up must not outlive it.
    const server = child;
    const stopOnExit = (): void => void server.kill('SIGTERM');
    process.once('exit', stopOnExit);
    void once(server, 'exit').then(() => process.off('exit', stopOnExit));
    const events = upEvents(child);
    await waitUntilServed(client, child);
    const { pid } = await client.describe('add');
    print(`${out.bold('lip demo')}: ${NAMES.length} example functions run by lip up (pid ${child.pid}) in a child process (pid ${pid}) in ${dir}\n`);
    await showCall(client);
    await showCache(client);
    await showError(client);
    await showStream(client);
    await showRestart(client, pid, events);
    print(`Try it with your own functions: ${out.cyan('lip up ./my-functions.ts')}, then ${out.cyan('lip ls')} and ${out.cyan('lip call <name> ...')}`);
  } finally {
    client.destroy();
    if (child) await stopServer(child);
    await rm(dir, { recursive: true, force: true });
  }
}

function sibling(name: string): string {
  // Built: dist/cli/*.js. From source under tsx: src/cli/*.ts.
  return fileURLToPath(new URL(`../${name}${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
}

function startServer(dir: string): ChildProcess {
  const args = [...process.execArgv, sibling('main'), 'up', sibling('demo-functions'), '--socket-dir', dir, '--log-level', 'silent', '--json'];
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

/** lip up's --json event lines, as they come: `next(name)` resolves on the next event of that name. */
function upEvents(child: ChildProcess): { next(event: string): Promise<void> } {
  const waiting = new Map<string, () => void>();
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const event = (() => {
        try {
          return (JSON.parse(line) as { event?: unknown }).event;
        } catch {
          return undefined;
        }
      })();
      if (typeof event !== 'string') continue;
      waiting.get(event)?.();
      waiting.delete(event);
    }
  });
  return { next: (event) => new Promise<void>((resolve) => waiting.set(event, resolve)) };
}

async function waitUntilServed(client: LIPClient, child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new CliError(`the demo server exited before serving: ${stderr.trim()}`, ExitCode.Failed);
    await client.refreshSockets();
    const live = await client.listFunctions();
    if (NAMES.every((n) => live.includes(n))) return;
    if (Date.now() > deadline) throw new CliError('the demo server did not start within 15 s', ExitCode.Timeout);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function step(title: string, command: string): void {
  print(out.bold(title));
  print(`  ${out.dim('$')} ${command}`);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

async function showCall(client: LIPClient): Promise<void> {
  step('1. A call', 'lip call add 2 3');
  const [sum, ms] = await timed(() => client.callFunction('add', [2, 3]));
  print(`  ${out.green(formatJson(sum, false))}  ${out.dim(`in ${formatMs(ms)}, connecting included, over a Unix socket`)}\n`);
}

async function showCache(client: LIPClient): Promise<void> {
  step('2. A cached call (slowFib is wrapped with lru: true and takes 300 ms)', 'lip call slowFib 40   # twice');
  const [first, firstMs] = await timed(() => client.callFunction('slowFib', [40]));
  print(`  ${out.green(formatJson(first, false))}  ${out.dim(`first call: ${formatMs(firstMs)}`)}`);
  const [again, againMs] = await timed(() => client.callFunction('slowFib', [40]));
  const { cache } = await client.stats('slowFib');
  print(`  ${out.green(formatJson(again, false))}  ${out.dim(`again: ${formatMs(againMs)}, answered from the cache`)}`);
  print(`  ${out.dim(`lip stats slowFib: ${cache.hits} hit, ${cache.misses} miss, ${cache.size} cached`)}\n`);
}

async function showError(client: LIPClient): Promise<void> {
  step('3. An error, raised in the server and rethrown here', 'lip call divide 1 0');
  try {
    await client.callFunction('divide', [1, 0]);
    throw new CliError('divide(1, 0) should have raised', ExitCode.Failed);
  } catch (error) {
    if (!isLIPRemoteError(error)) throw error;
    const { name, message, code } = error.remote;
    print(`  ${out.red(`${name}: ${message}`)}  ${out.dim(`code ${code}; lip call exits with status ${ExitCode.Failed}`)}\n`);
  }
}

async function showStream(client: LIPClient): Promise<void> {
  step('4. A stream (countdown is an async generator)', 'lip call countdown 3 --stream');
  for await (const value of client.stream('countdown', [3])) print(`  ${out.green(formatJson(value, false))}`);
  print('');
}

async function showRestart(client: LIPClient, pid: number, events: { next(event: string): Promise<void> }): Promise<void> {
  step(`5. A crash (the module's process, pid ${pid}, is killed): lip up restarts it, and a call made meanwhile waits`, `kill -9 ${pid}; lip call add 2 3`);
  const restarting = events.next('restarting');
  process.kill(pid, 'SIGKILL');
  // lip up has seen the exit and announced the restart: calls from now on wait for the new process.
  await restarting;
  const [sum, ms] = await timed(() => client.callFunction('add', [2, 3]));
  const { pid: newPid } = await client.describe('add');
  print(`  ${out.green(formatJson(sum, false))}  ${out.dim(`in ${formatMs(ms)}, answered by the restarted process (pid ${newPid})`)}\n`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
