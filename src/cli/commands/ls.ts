/** `lip ls`: what is served in the socket directory, and which socket files are left over. */
import { unlink } from 'node:fs/promises';
import type { Command } from 'commander';
import { LIPNotLipServerError } from '../../errors.js';
import type { FunctionInfo, FunctionStats, LIPClient } from '../../index.js';
import { addClientOptions, assertSocketDir, print, printJson, withClient, type ClientOptions } from '../common.js';
import { firstLine, formatTable, formatUptime } from '../format.js';
import { describeError } from '../report-error.js';
import { explainFailure } from '../checked-kind.js';
import { out } from '../style.js';

interface LsOptions extends ClientOptions {
  json?: boolean;
  prune?: boolean;
}

/** One row of `lip ls --json`. */
export interface ListedFunction {
  name: string;
  path: string;
  /**
   * live: answered; stale: a socket file nobody answers; unreachable: answered the probe, then failed;
   * not-lip: answered neither as lipmodule nor as the Python original.
   */
  state: 'live' | 'stale' | 'unreachable' | 'not-lip' | 'pruned' | 'untrusted';
  /** socket: found in the socket directory; nats: served over NATS (with --nats), path `nats:<subject>`. */
  transport: 'socket' | 'nats';
  /** Who answers, for live functions: lipmodule, or the Python original (which tells only its docstring). */
  kind?: 'lipmodule' | 'python';
  signature?: string;
  doc?: string | null;
  pid?: number;
  uptimeMs?: number;
  calls?: number;
  streaming?: boolean;
  cached?: boolean;
  error?: string;
}

export function registerLs(program: Command): void {
  const command = program
    .command('ls')
    .description('list the functions served in the socket directory, and stale socket files')
    .option('--json', 'print a JSON array instead of a table')
    .option('--prune', 'remove socket files that nobody answers')
    .addHelpText(
      'after',
      '\nExamples:\n  $ lip ls\n  $ lip ls --prune\n  $ lip ls --json --socket-dir /run/user/1000/lip\n  $ lip ls --nats nats://10.0.0.5:4222',
    );
  addClientOptions(command, { timeout: 'how long each function may take to answer', nats: 'also list the functions served over NATS at this server' }).action(
    (options: LsOptions) => list(options),
  );
}

async function list(options: LsOptions): Promise<void> {
  const rows = await withClient(options, async (client) => {
    await assertSocketDir(client.socketDir);
    const sockets = await client.listSockets();
    const local = new Set(sockets.map((s) => s.name));
    const remote = (await client.listNatsFunctions()).filter((name) => !local.has(name));
    return Promise.all([
      ...sockets.map((s): Promise<ListedFunction> | ListedFunction =>
        s.state === 'live'
          ? describeLive(client, s.name, s.path, 'socket')
          : { name: s.name, path: s.path, state: s.state === 'untrusted' ? 'untrusted' : 'stale', transport: 'socket' },
      ),
      ...remote.map((name) => describeLive(client, name, `nats:lip.fn.${name}`, 'nats')),
    ]).then((rows) => rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  });
  if (options.prune) {
    for (const row of rows.filter((r) => r.state === 'stale')) {
      await unlink(row.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      row.state = 'pruned';
    }
  }
  if (options.json) return printJson(rows);
  if (rows.length === 0) return print(out.dim('no functions served here'));
  print(formatTable(['NAME', 'SIGNATURE', 'DOC', 'PID', 'UPTIME', 'CALLS', 'STATE'], rows.map(tableRow), [undefined, 40, 50] as number[]));
}

async function describeLive(client: LIPClient, name: string, path: string, transport: ListedFunction['transport']): Promise<ListedFunction> {
  let info: FunctionInfo;
  let stats: FunctionStats;
  try {
    if ((await client.serverKind(name)) === 'python') return { name, path, state: 'live', transport, kind: 'python', doc: await client.getDocstring(name) };
    [info, stats] = await Promise.all([client.describe(name), client.stats(name)]);
  } catch (error) {
    const explained = await explainFailure(client, name, error);
    return { name, path, state: explained instanceof LIPNotLipServerError ? 'not-lip' : 'unreachable', transport, error: describeError(explained) };
  }
  return {
    name,
    path,
    state: 'live',
    transport,
    kind: 'lipmodule',
    signature: info.signature,
    doc: info.doc,
    pid: info.pid,
    uptimeMs: stats.uptimeMs,
    calls: stats.calls,
    streaming: info.streaming,
    cached: info.cache.enabled,
  };
}

function tableRow(row: ListedFunction): string[] {
  const live = row.transport === 'nats' ? 'live (nats)' : row.kind === 'python' ? 'live (python)' : 'live';
  const state =
    row.state === 'live'
      ? out.green(live)
      : row.state === 'unreachable'
        ? out.red('unreachable')
        : row.state === 'not-lip'
          ? out.red('not LIP')
          : out.yellow(row.state);
  if (row.kind === 'python') return [row.name, `${row.name}(…)`, firstLine(row.doc), '-', '-', '-', state];
  if (row.state !== 'live') {
    const note =
      row.error ??
      {
        pruned: 'socket file removed',
        untrusted: "another user's socket file (not probed)",
        stale: 'socket file nobody answers',
        unreachable: '',
        'not-lip': '',
      }[row.state];
    return [row.name, '-', note, '-', '-', '-', state];
  }
  return [row.name, row.signature ?? '', firstLine(row.doc), String(row.pid), formatUptime(row.uptimeMs ?? 0), String(row.calls), state];
}
