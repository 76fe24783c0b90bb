/** `lip serve` in this one process. */
import type { LIPFunctionControls } from '../../index.js';
import { print } from '../common.js';
import { err } from '../style.js';
import { exitAll, initAll, onShutdownSignals, printServing, watchStops, type Placement } from './lifecycle.js';

export interface ServeSettings extends Placement {
  graceMs: number | undefined;
}

/** Serves until a signal or clients' `lip stop` have stopped every function. */
export async function serveHere(functions: readonly LIPFunctionControls[], settings: ServeSettings): Promise<void> {
  const lines = await initAll(functions, settings);
  for (const line of lines) printServing(line);
  if (process.stderr.isTTY) process.stderr.write(err.dim(`pid ${process.pid}; Ctrl-C stops gracefully\n`));
  let draining: Promise<void> | undefined;
  const removeSignals = onShutdownSignals((signal) => {
    process.stderr.write(`lip: ${signal}: stopping; running calls finish first\n`);
    draining = exitAll(functions, settings.graceMs);
  });
  await watchStops(functions, (fn) => print(`stopped ${fn.lipName}${draining ? '' : ' (asked by a client)'}`));
  await draining;
  removeSignals();
}
