/**
 * One module under `lip up`: its `lip serve` process, started again with backoff when it ends on its
 * own (restart-policy.ts), and replaced without a dropped call on reload: the new process takes each
 * socket over (rename), and only then is the old one told to drain.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, isAbsolute } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { announceRestart, endRestartNotice, type LogLevel } from '../../index.js';
import type { ServedLine } from '../serve/lifecycle.js';
import type { ModuleSpec } from './config.js';
import { isChildMessage, SUPERVISED_ENV, type SupervisorMessage } from './ipc.js';
import { RestartPolicy } from './restart-policy.js';

export type ModuleState = 'starting' | 'serving' | 'reloading' | 'restarting' | 'failed' | 'stopping' | 'stopped';

/** What happened to a module, for the table, the log lines and `--json`. */
export type UpEvent =
  | { event: 'serving'; module: string; pid: number; functions: ServedLine[]; reload: boolean }
  | { event: 'exited'; module: string; pid: number; code: number | null; signal: string | null }
  | { event: 'restarting'; module: string; afterMs: number; failures: number }
  | { event: 'failed'; module: string; failures: number; message: string }
  | { event: 'reload-failed'; module: string; message: string }
  | { event: 'stopped'; module: string; reason: string }
  | { event: 'log'; module: string; line: string };

/** What every module process shares. */
export interface ModuleSettings {
  socketDir: string | undefined;
  grace: number | undefined;
  logLevel: LogLevel | undefined;
  logFormat: 'pretty' | 'json';
}

/**
 * A draining process still there this long after its grace is hung (a function spinning, a module
 * ignoring SIGTERM): it is killed, so that stopping and reloading end. The margin covers its goodbyes
 * (up to 5 s, server/socket-server.ts) and its exit. Without a `grace`, lip serve's default is assumed.
 */
const DRAIN_MARGIN_MS = 6000;
const SERVE_DEFAULT_GRACE_MS = 10_000;

const LIP_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** A started module process, and what it said about its start. */
interface Started {
  child: ChildProcess;
  /** Resolves with what it serves; rejects with why it could not start (it exited). */
  ready: Promise<ServedLine[]>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set once it said it serves: only then does it listen for the order to drain. */
  serving: boolean;
}

export class ModuleProcess {
  state: ModuleState = 'starting';
  /** What the serving process serves (kept while it restarts, to show and to announce). */
  functions: ServedLine[] = [];
  restarts = 0;
  lastError: string | undefined;
  private current: Started | undefined;
  private readonly policy = new RestartPolicy();
  private restartTimer: NodeJS.Timeout | undefined;
  private reloading = false;
  /** The process a reload is starting, until it serves. */
  private incoming: Started | undefined;
  private reloadAgain = false;
  private stopRequested = false;
  private finish!: () => void;
  /** Settles when the module is over: stopped, or given up on. */
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(
    readonly spec: ModuleSpec,
    private readonly settings: ModuleSettings,
    private readonly report: (event: UpEvent) => void,
  ) {}

  get pid(): number | undefined {
    return this.current?.child.pid;
  }

  start(): void {
    this.launch();
  }

  /** The files changed: a new process takes over; if it can't start, the old one goes on serving. */
  async reload(): Promise<void> {
    if (this.stopRequested) return;
    if (this.state === 'failed') {
      // New code may fix what failed: start afresh.
      this.state = 'starting';
      this.launch();
      return;
    }
    if (this.state !== 'serving') return;
    if (this.spec.instances > 1) {
      // Workers share a socket their primary holds: a new primary can't take it over.
      this.report({ event: 'reload-failed', module: this.spec.label, message: 'a module with instances > 1 is not reloaded (restart lip up)' });
      return;
    }
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    this.state = 'reloading';
    const next = this.spawn({ takeOver: true });
    this.incoming = next;
    try {
      const functions = await next.ready;
      if (this.stopRequested) {
        // Stopped while it loaded: it goes too (stop() is waiting for it).
        drainChild(next, this.settings.grace);
        return;
      }
      const old = this.current;
      this.current = next;
      this.watchExit(next);
      this.serving(next, functions, true);
      // Only now: every socket is the new process's, and the old one's open connections may drain.
      if (old) drainChild(old, this.settings.grace);
    } catch (error) {
      this.lastError = (error as Error).message;
      if (this.state === 'reloading') this.state = 'serving';
      this.report({ event: 'reload-failed', module: this.spec.label, message: this.lastError });
    } finally {
      this.reloading = false;
      this.incoming = undefined;
    }
    if (this.reloadAgain) {
      this.reloadAgain = false;
      await this.reload();
    }
  }

  /** Drains and stops its process (running calls finish, up to the grace period), and one a reload is starting. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    clearTimeout(this.restartTimer);
    // A module a client already stopped has said so; a failed one stays failed.
    const settled = this.state === 'failed' || this.state === 'stopped';
    if (!settled) this.state = 'stopping';
    // Until none is left: a reload may make its new process current while we wait for the old one.
    for (;;) {
      const live = [this.current, this.incoming].filter((s): s is Started => s !== undefined && s.child.exitCode === null && s.child.signalCode === null);
      if (live.length === 0) break;
      for (const started of live) drainChild(started, this.settings.grace);
      await Promise.all(live.map((started) => started.exited));
    }
    await this.withdrawNotices();
    if (!settled) {
      this.state = 'stopped';
      this.report({ event: 'stopped', module: this.spec.label, reason: 'lip up was told to stop' });
    }
    this.finish();
  }

  private launch(): void {
    const started = this.spawn({ takeOver: false });
    this.current = started;
    this.watchExit(started);
    started.ready.then(
      (functions) => this.serving(started, functions, false),
      () => {},
    );
  }

  private serving(started: Started, functions: ServedLine[], reload: boolean): void {
    if (this.current !== started || this.stopRequested) return;
    this.state = 'serving';
    this.functions = functions;
    this.report({ event: 'serving', module: this.spec.label, pid: started.child.pid!, functions, reload });
    void this.withdrawNotices();
  }

  /** What to do when the current process ends: nothing if asked to, else restart or give up. */
  private watchExit(started: Started): void {
    void started.exited.then(async ({ code, signal }) => {
      if (this.current !== started) return;
      // Why it could not start, if it never served (settled by now: it exited).
      const why = await started.ready.then(
        () => undefined,
        (error: Error) => error.message,
      );
      if (why !== undefined) this.lastError = why;
      this.report({ event: 'exited', module: this.spec.label, pid: started.child.pid!, code, signal });
      if (this.stopRequested) return;
      if (code === 0 && this.state === 'serving') {
        // Every function was stopped by a client (`lip stop`): that is a stop, not a crash.
        this.state = 'stopped';
        this.report({ event: 'stopped', module: this.spec.label, reason: 'its functions were stopped by a client' });
        this.finish();
        return;
      }
      void this.failed(signal ? `killed by ${signal}` : `exited with code ${code}`);
    });
  }

  private async failed(how: string): Promise<void> {
    const decision = this.policy.failed();
    if (!decision.restart) {
      this.state = 'failed';
      const message = `${decision.failures} failures within 60 s (last: ${how}${this.lastError ? `: ${this.lastError}` : ''}); not restarted`;
      this.lastError = message;
      this.report({ event: 'failed', module: this.spec.label, failures: decision.failures, message });
      await this.withdrawNotices();
      this.finish();
      return;
    }
    this.state = 'restarting';
    // Callers meeting the missing socket wait for it, within their deadlines.
    await Promise.all(this.socketFunctions().map(({ name, dir }) => announceRestart(name, { socketDir: dir }).catch(() => {})));
    this.report({ event: 'restarting', module: this.spec.label, afterMs: decision.afterMs, failures: decision.failures });
    this.restartTimer = setTimeout(() => {
      if (this.stopRequested) return;
      this.restarts++;
      this.launch();
    }, decision.afterMs);
  }

  private async withdrawNotices(): Promise<void> {
    await Promise.all(this.socketFunctions().map(({ name, dir }) => endRestartNotice(name, { socketDir: dir }).catch(() => {})));
  }

  /** The functions served on a socket, and its directory. */
  private socketFunctions(): { name: string; dir: string }[] {
    return this.functions.filter((line) => isAbsolute(line.path)).map((line) => ({ name: line.name, dir: dirname(line.path) }));
  }

  private spawn({ takeOver }: { takeOver: boolean }): Started {
    const { spec, settings } = this;
    const args = ['serve', ...spec.files, '--log-format', settings.logFormat];
    if (spec.only.length > 0) args.push('--only', spec.only.join(','));
    if (spec.instances > 1) args.push('--instances', String(spec.instances));
    const logLevel = spec.logLevel ?? settings.logLevel;
    if (logLevel !== undefined) args.push('--log-level', String(logLevel));
    if (settings.socketDir !== undefined) args.push('--socket-dir', settings.socketDir);
    if (settings.grace !== undefined) args.push('--grace', String(settings.grace));
    if (takeOver) args.push('--take-over');
    const child = fork(LIP_MAIN, args, {
      env: { ...process.env, ...spec.env, [SUPERVISED_ENV]: '1', NO_COLOR: process.env.NO_COLOR ?? '' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
    });
    let lastLines: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lastLines = [...lastLines.slice(-4), line];
      this.report({ event: 'log', module: spec.label, line });
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const ready = new Promise<ServedLine[]>((resolve, reject) => {
      let failure: string | undefined;
      child.on('message', (message: unknown) => {
        if (!isChildMessage(message)) return;
        if (message.up === 'ready') resolve(message.functions);
        else failure = message.message;
      });
      child.once('error', (error) => reject(error));
      void exited.then(({ code, signal }) => {
        const why = failure ?? (lastLines.find((l) => /error/i.test(l)) || lastLines.at(-1)) ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
        reject(new Error(why));
      });
    });
    const started: Started = { child, ready, exited, serving: false };
    ready.then(
      () => (started.serving = true),
      () => {},
    );
    return started;
  }
}

/**
 * Tells a module process to drain: over IPC once it serves; SIGTERM while it still loads (it listens
 * for the order only once serving, and has nothing to drain before) or when its channel is gone.
 */
function drainChild({ child, serving, exited }: Started, graceMs: number | undefined): void {
  const message: SupervisorMessage = { up: 'drain' };
  if (serving && child.connected) child.send(message, (error) => error && child.kill('SIGTERM'));
  else child.kill('SIGTERM');
  // The grace was checked where it was given (at most MAX_GRACE_MS, up/config.ts): with the margin it fits a timer.
  const hung = setTimeout(() => child.kill('SIGKILL'), (graceMs ?? SERVE_DEFAULT_GRACE_MS) + DRAIN_MARGIN_MS);
  void exited.then(() => clearTimeout(hung));
}
