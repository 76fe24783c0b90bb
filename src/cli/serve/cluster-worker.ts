/** One `lip serve --instances` worker: loads the files, serves, and follows the primary's orders. */
import type { LIPFunctionControls } from '../../index.js';
import { exitCodeFor } from '../exit-codes.js';
import { describeError } from '../report-error.js';
import { isPrimaryMessage, type PrimaryMessage, type WorkerMessage } from './ipc.js';
import { exitAll, initAll, onShutdownSignals, watchStops } from './lifecycle.js';
import type { ServeSettings } from './serve-here.js';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

/** Runs `load`, serves what it returns, tells the primary; failures go to the primary, which prints them. */
export async function runWorker(load: () => Promise<LIPFunctionControls[]>, settings: ServeSettings): Promise<void> {
  let functions: LIPFunctionControls[];
  try {
    functions = await load();
    const lines = await initAll(functions, settings);
    await send({ lip: 'ready', functions: lines });
  } catch (error) {
    await send({ lip: 'failed', message: describeError(error), exitCode: exitCodeFor(error), stack: (error as Error).stack });
    process.exit(exitCodeFor(error));
  }
  await serveUntilStopped(functions, settings);
}

async function serveUntilStopped(functions: LIPFunctionControls[], settings: ServeSettings): Promise<void> {
  let draining: Promise<void> | undefined;
  const stopping = new Set<string>();
  const shutdown = () => (draining ??= exitAll(functions, settings.graceMs));
  const onMessage = (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    const order = message as PrimaryMessage;
    stopping.add(order.name);
    void exitAll(
      functions.filter((fn) => fn.lipName === order.name),
      settings.graceMs,
    );
  };
  process.on('message', onMessage);
  // Ctrl-C reaches the whole process group; the primary answers it with one SIGTERM to each worker.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  const removeSignals = onShutdownSignals(() => void shutdown(), ['SIGTERM']);
  const reports: Promise<void>[] = [];
  await watchStops(functions, (fn) => {
    // Stopped neither by the primary nor by a signal: a client asked this instance.
    if (!draining && !stopping.has(fn.lipName)) reports.push(send({ lip: 'stopped', name: fn.lipName }));
  });
  await draining;
  // Delivered before leaving the cluster, so the primary hears of the stop from a worker still in it.
  await Promise.all(reports);
  removeSignals();
  process.off('SIGINT', ignore);
  process.off('message', onMessage);
  // Leaves the cluster; the process ends once its remaining connections close.
  process.disconnect();
}
