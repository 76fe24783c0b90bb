/**
 * `lip health <name...>`: a health check for containers and orchestrators. Each function must answer a
 * ping within --timeout; exit 0 when all do, 1 otherwise, one line per function saying why.
 */
import type { Command } from 'commander';
import { LIPClient } from '../../client/lip-client.js';
import { addCommonOptions, parseMs, print, printJson, type CommonOptions } from '../common.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatMs } from '../format.js';
import { describeError } from '../report-error.js';
import { out } from '../style.js';

interface HealthOptions extends CommonOptions {
  timeout: number;
  json?: boolean;
}

/** One function's verdict. */
interface Verdict {
  name: string;
  ok: boolean;
  /** The round trip, when it answered. */
  ms?: number;
  /** Why it is not healthy: the error's code and message. */
  code?: string;
  reason?: string;
}

export const DEFAULT_HEALTH_TIMEOUT_MS = 1000;

export function registerHealth(program: Command): void {
  const command = program
    .command('health')
    .description('exit 0 when every named function answers a ping within --timeout, 1 otherwise (for health checks)')
    .argument('<name...>', 'function names')
    .option(
      '--timeout <ms>',
      `how long each function may take to answer, in milliseconds (default ${DEFAULT_HEALTH_TIMEOUT_MS})`,
      parseMs,
      DEFAULT_HEALTH_TIMEOUT_MS,
    )
    .option('--json', 'print [{name, ok, ms?, code?, reason?}] as JSON')
    .addHelpText(
      'after',
      `
Prints one line per function: "ok <name> <ms>" or "fail <name>: <reason>".

Examples:
  $ lip health add greet
  $ lip health add --timeout 300 --socket-dir /run/lip     # HEALTHCHECK CMD in a container`,
    );
  addCommonOptions(command).action((names: string[], options: HealthOptions) => health(names, options));
}

async function health(names: string[], options: HealthOptions): Promise<void> {
  // A timeout of 0 would wait for ever: a health check that never answers is no check.
  const timeoutMs = options.timeout > 0 ? options.timeout : DEFAULT_HEALTH_TIMEOUT_MS;
  // One client per name: a slow or broken one never holds up the verdict on another.
  const verdicts = await Promise.all([...new Set(names)].map((name) => check(name, options.socketDir, timeoutMs)));
  if (options.json) printJson(verdicts);
  else for (const v of verdicts) print(v.ok ? `${out.green('ok')} ${v.name} ${formatMs(v.ms!)}` : `${out.red('fail')} ${v.name}: ${v.reason}`);
  const failed = verdicts.filter((v) => !v.ok).map((v) => v.name);
  if (failed.length > 0) throw new CliError(`unhealthy: ${failed.join(', ')}`, ExitCode.Failed, { code: 'ERR_LIP_UNHEALTHY' });
}

async function check(name: string, socketDir: string | undefined, timeoutMs: number): Promise<Verdict> {
  const client = new LIPClient({ socketDir, timeoutMs, connectTimeoutMs: timeoutMs });
  try {
    return { name, ok: true, ms: await client.ping(name) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { name, ok: false, ...(typeof code === 'string' ? { code } : {}), reason: describeError(error) };
  } finally {
    client.destroy();
  }
}
