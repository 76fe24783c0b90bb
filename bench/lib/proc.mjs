/**
 * Child processes of the benchmark: servers and clients run apart from the
 * runner and talk to it over Node's IPC channel. Every child is killed when
 * the runner exits, however it exits.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('../', import.meta.url));
const live = new Set();
// `--prof <dir>` on the runner: every child writes a V8 CPU profile there.
const execArgv = () => (process.env.LIP_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-interval=50', `--cpu-prof-dir=${process.env.LIP_BENCH_PROF}`] : []);

const dirs = new Set();

function killAll() {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** A forked child with a message queue: `next(type)` waits for the next message of that type. */
export class Child {
  constructor(script, args, { timeoutMs = 60_000 } = {}) {
    this.timeoutMs = timeoutMs;
    this.stderr = '';
    this.inbox = [];
    this.waiters = [];
    this.child = fork(BENCH + script, args, { execArgv: execArgv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    live.add(this.child);
    // A child that already exited makes send() fail with EPIPE: that is reported by `exited`, not thrown.
    this.child.on('error', () => {});
    this.child.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.child.on('message', (m) => {
      const i = this.waiters.findIndex((w) => w.type === m.type || m.type === 'error');
      if (i >= 0) this.waiters.splice(i, 1)[0].settle(m);
      else this.inbox.push(m);
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        for (const w of this.waiters.splice(0)) w.settle({ type: 'error', message: `${script} exited (${code ?? signal})\n${this.stderr}` });
        resolve(code ?? signal);
      }),
    );
  }

  send(message) {
    if (this.child.connected) this.child.send(message);
  }

  next(type, timeoutMs = this.timeoutMs) {
    const i = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
    const found =
      i >= 0
        ? Promise.resolve(this.inbox.splice(i, 1)[0])
        : new Promise((resolve) => {
            const waiter = { type, settle: resolve };
            this.waiters.push(waiter);
            const timer = setTimeout(() => {
              const at = this.waiters.indexOf(waiter);
              if (at >= 0) this.waiters.splice(at, 1);
              resolve({ type: 'error', message: `timed out waiting for '${type}'\n${this.stderr}` });
            }, timeoutMs);
            timer.unref();
          });
    return found.then((m) => {
      if (m.type === 'error') throw new Error(m.message);
      return m;
    });
  }

  async request(message, reply) {
    this.send(message);
    return this.next(reply);
  }

  /** Asks politely, then kills after a grace period. */
  async stop(graceMs = 3000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A fresh short socket directory (paths must fit in 107 bytes), removed by the returned function. */
export function tempDir() {
  const dir = mkdtempSync('/tmp/lipb-');
  dirs.add(dir);
  return {
    dir,
    remove: () => {
      dirs.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Server process for `peer`, started and ready. */
export async function startServer(peer, config) {
  const server = new Child('server.mjs', [peer, JSON.stringify(config)]);
  const ready = await server.next('ready');
  server.t0 = ready.t0;
  return server;
}

export function startClient(peer, config) {
  return new Child('client.mjs', [peer, JSON.stringify(config)]);
}
