/**
 * `lip serve --instances N`: N worker processes (node:cluster) serve the same
 * functions on the same socket paths. The primary owns each listening socket
 * and hands new connections to the workers in turn (round-robin), so calls
 * spread per connection, not per call. The primary serves nothing itself.
 */
import cluster, { type Worker } from 'node:cluster';
import { print } from '../common.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { err } from '../style.js';
import { isWorkerMessage, type PrimaryMessage, type WorkerMessage } from './ipc.js';
import { onShutdownSignals, printServing, type ServedLine } from './lifecycle.js';
import { isSupervised, leaveSupervisor, onSupervisorDrain, reportReady } from '../up/supervised.js';

export async function runPrimary(instances: number): Promise<void> {
  // The primary binds the shared sockets, so its umask decides their mode: owner only, as in one process.
  process.umask(0o177);
  const pool = new Pool();
  let signalled = false;
  // Workers take SIGTERM as the order to drain; one still loading just ends.
  const removeSignals = onShutdownSignals((signal) => {
    signalled = true;
    process.stderr.write(`lip: ${signal}: stopping ${pool.size} instance(s); running calls finish first\n`);
    pool.terminate();
  });
  try {
    // The first worker starts alone: it clears a stale socket file, if any, before the others share the path.
    const lines = await pool.start();
    await Promise.all(Array.from({ length: instances - 1 }, () => pool.start()));
    const note = `(${instances} instance${instances > 1 ? 's' : ''}: pid ${pool.pids.join(', ')})`;
    for (const line of lines) printServing(line, note);
    if (process.stderr.isTTY) process.stderr.write(err.dim(`primary pid ${process.pid}; Ctrl-C stops gracefully\n`));
    if (isSupervised()) {
      onSupervisorDrain(() => pool.terminate());
      await reportReady(lines);
    }
  } catch (error) {
    pool.terminate();
    await pool.allExited;
    removeSignals();
    if (signalled) return;
    throw error;
  }
  await pool.allExited;
  removeSignals();
  if (isSupervised()) leaveSupervisor();
}

/** The workers, their startup, and relaying a client's `stop` from one worker to all. */
class Pool {
  private readonly workers = new Set<Worker>();
  private readonly stopped = new Set<string>();
  private readonly terminated = new WeakSet<Worker>();
  private exitedAll!: () => void;
  readonly allExited = new Promise<void>((resolve) => (this.exitedAll = resolve));

  get size(): number {
    return this.workers.size;
  }

  get pids(): number[] {
    return [...this.workers].map((w) => w.process.pid!);
  }

  /** Forks a worker; resolves with what it serves once it is ready. */
  start(): Promise<ServedLine[]> {
    const worker = cluster.fork();
    this.workers.add(worker);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: unknown) => {
        if (!isWorkerMessage(message)) return;
        const m = message as WorkerMessage;
        if (m.lip === 'ready') {
          ready = true;
          resolve(m.functions);
        } else if (m.lip === 'failed') {
          const error = new CliError(m.message, m.exitCode as ExitCode);
          if (m.stack) error.stack = m.stack;
          reject(error);
        } else if (m.lip === 'stopped') this.relayStop(m.name, worker);
      });
      worker.on('exit', (code, signal) => {
        this.workers.delete(worker);
        if (!ready) reject(new CliError(`an instance exited while starting (${signal ?? `code ${code}`})`, ExitCode.Failed));
        else if (code !== 0) process.stderr.write(`lip: instance pid ${worker.process.pid} ended (${signal ?? `code ${code}`}); ${this.workers.size} left\n`);
        if (this.workers.size === 0) this.exitedAll();
      });
    });
  }

  /** Sends to every connected worker but `except`. */
  broadcast(message: PrimaryMessage, except?: Worker): void {
    for (const worker of this.workers) {
      if (worker === except || !worker.isConnected()) continue;
      // A worker whose last function just stopped may leave the cluster while this is in flight:
      // the failed send is then harmless, and unhandled it would end the primary.
      worker.send(message, undefined, (error: Error | null) => {
        if (error && worker.isConnected()) process.stderr.write(`lip: could not reach instance pid ${worker.process.pid}: ${error.message}\n`);
      });
    }
  }

  /** SIGTERM to each worker, once: a second one would cut its running calls. */
  terminate(): void {
    for (const worker of this.workers) {
      if (this.terminated.has(worker)) continue;
      this.terminated.add(worker);
      worker.process.kill('SIGTERM');
    }
  }

  /** `from` has stopped `name` already: the order goes to the others. */
  private relayStop(name: string, from: Worker): void {
    if (this.stopped.has(name)) return;
    this.stopped.add(name);
    print(`stopped ${name} (asked by a client)`);
    this.broadcast({ lip: 'stop', name }, from);
  }
}
