/** `lip serve` in this one process. */
import type { LIPFunctionControls } from '../../index.js';
import { print } from '../common.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { err, out } from '../style.js';
import { isLoopbackHost, type MetricsAddress } from './metrics-address.js';
import { MetricsEndpoint } from './metrics-endpoint.js';
import { isSupervised, leaveSupervisor, onSupervisorDrain, reportReady } from '../up/supervised.js';
import { exitAll, initAll, onShutdownSignals, printServing, watchStops, type Placement } from './lifecycle.js';

export interface ServeSettings extends Placement {
  graceMs: number | undefined;
  /** --metrics: where GET /metrics answers (one process only). */
  metrics?: MetricsAddress | undefined;
}

/** Serves until a signal or clients' `lip stop` have stopped every function. */
export async function serveHere(functions: readonly LIPFunctionControls[], settings: ServeSettings): Promise<void> {
  const lines = await initAll(functions, settings);
  let draining: Promise<void> | undefined;
  const drain = () => (draining ??= exitAll(functions, settings.graceMs));
  // Before the "serving" lines: whoever waits for them may signal at once.
  const removeSignals = onShutdownSignals((signal) => {
    process.stderr.write(`lip: ${signal}: stopping; running calls finish first\n`);
    void drain();
  });
  for (const line of lines) printServing(line);
  const metrics = settings.metrics ? await startMetrics(functions, settings.metrics) : undefined;
  if (metrics) print(`${out.green('metrics')} at ${metrics.url}`);
  if (process.stderr.isTTY) process.stderr.write(err.dim(`pid ${process.pid}; Ctrl-C stops gracefully\n`));
  // Under `lip up`: it hears that we serve, and tells us when to drain (a reload took over, or it stops).
  const supervised = isSupervised();
  const removeDrain = supervised ? onSupervisorDrain(() => void drain()) : undefined;
  if (supervised) await reportReady(lines);
  await watchStops(functions, (fn) => print(`stopped ${fn.lipName}${draining ? '' : ' (asked by a client)'}`));
  await draining;
  await metrics?.close();
  removeSignals();
  removeDrain?.();
  if (supervised) leaveSupervisor();
}

/** The endpoint, or the functions stopped again when its address can't be had. */
async function startMetrics(functions: readonly LIPFunctionControls[], address: MetricsAddress): Promise<MetricsEndpoint> {
  if (!isLoopbackHost(address.host))
    process.stderr.write(
      `lip: warning: --metrics ${address.host}: other hosts may read every function's name and figures (no authentication); a bare port listens on 127.0.0.1 only\n`,
    );
  try {
    return await MetricsEndpoint.start(functions, address);
  } catch (error) {
    await exitAll(functions, 0);
    throw new CliError(`could not serve the metrics on ${address.host}:${address.port}: ${(error as Error).message}`, ExitCode.Failed, { cause: error });
  }
}
