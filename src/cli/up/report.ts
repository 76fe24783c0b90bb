/**
 * What `lip up` shows: on a terminal one live table (function, state, pid, calls, errors, p50/p99,
 * restarts) redrawn every second, with the last log lines under it; in a pipe one plain line per
 * event; with --json one JSON object per event on stdout (the modules' logs go to stderr as they are).
 */
import { type FunctionStats, LIPClient } from '../../index.js';
import { print } from '../common.js';
import { formatMs, formatTable } from '../format.js';
import { out } from '../style.js';
import type { ModuleProcess, UpEvent } from './module-process.js';

export type ReportMode = 'table' | 'lines' | 'json';

const REDRAW_MS = 1000;
const LOG_LINES_SHOWN = 8;

export class UpReport {
  private modules: readonly ModuleProcess[] = [];
  private readonly logs: string[] = [];
  private readonly stats = new Map<string, FunctionStats>();
  private readonly client: LIPClient;
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;

  constructor(
    private readonly mode: ReportMode,
    socketDir: string | undefined,
  ) {
    this.client = new LIPClient({ socketDir, timeoutMs: 500 });
  }

  /** Starts showing `modules` (the table: redrawn until stop()). */
  start(modules: readonly ModuleProcess[]): void {
    this.modules = modules;
    if (this.mode !== 'table') return;
    this.draw();
    this.timer = setInterval(() => void this.refresh(), REDRAW_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.mode === 'table') this.draw();
    this.client.destroy();
  }

  event(event: UpEvent): void {
    if (this.mode === 'json') {
      if (event.event === 'log') process.stderr.write(`${event.line}\n`);
      else print(JSON.stringify({ ...event, at: new Date().toISOString() }));
      return;
    }
    const line = describe(event);
    if (this.mode === 'lines') {
      if (event.event === 'log') process.stderr.write(`${line}\n`);
      else print(line);
      return;
    }
    this.logs.push(line);
    if (this.logs.length > LOG_LINES_SHOWN) this.logs.splice(0, this.logs.length - LOG_LINES_SHOWN);
    this.draw();
  }

  /** Fresh figures from each serving function's `stats`, then a redraw. */
  private async refresh(): Promise<void> {
    const names = this.modules.filter((m) => m.state === 'serving').flatMap((m) => m.functions.map((f) => f.name));
    await Promise.all(
      names.map((name) =>
        this.client.stats(name).then(
          (stats) => this.stats.set(name, stats),
          () => {},
        ),
      ),
    );
    this.draw();
  }

  private draw(): void {
    const rows: string[][] = [];
    for (const m of this.modules) {
      const state = paintState(m.state);
      const pid = m.pid === undefined || m.state === 'failed' ? '-' : String(m.pid);
      if (m.functions.length === 0) rows.push([m.spec.label, state, pid, '-', '-', '-', String(m.restarts)]);
      for (const f of m.functions) {
        const s = this.stats.get(f.name);
        const latency = s && s.latencyMs.samples > 0 ? `${formatMs(s.latencyMs.p50)} / ${formatMs(s.latencyMs.p99)}` : '-';
        rows.push([f.name, state, pid, s ? String(s.calls) : '-', s ? String(s.errors) : '-', latency, String(m.restarts)]);
      }
    }
    const table = formatTable(['FUNCTION', 'STATE', 'PID', 'CALLS', 'ERRORS', 'P50 / P99', 'RESTARTS'], rows);
    const text = `${table}\n${out.dim('Ctrl-C stops every module gracefully')}\n${this.logs.join('\n')}${this.logs.length ? '\n' : ''}`;
    // Back to where the last drawing began, cleared to the end of the screen.
    const back = this.drawnLines > 0 ? `\u001b[${this.drawnLines}F\u001b[0J` : '';
    process.stdout.write(back + text);
    this.drawnLines = text.split('\n').length - 1;
  }
}

function paintState(state: ModuleProcess['state']): string {
  if (state === 'serving') return out.green(state);
  if (state === 'failed') return out.red(state);
  if (state === 'restarting' || state === 'reloading' || state === 'starting') return out.yellow(state);
  return state;
}

/** One event as a line for a person. */
export function describe(event: UpEvent): string {
  const tag = `[${event.module}]`;
  switch (event.event) {
    case 'serving': {
      const what = event.functions.map((f) => `${f.name} at ${f.path}`).join(', ');
      return `${tag} ${event.reload ? 'reloaded' : 'serving'}: ${what} (pid ${event.pid})`;
    }
    case 'exited':
      return `${tag} pid ${event.pid} exited (${event.signal ?? `code ${event.code}`})`;
    case 'restarting':
      return `${tag} restarting in ${event.afterMs} ms (failure ${event.failures} of 5 within 60 s)`;
    case 'failed':
      return `${tag} failed: ${event.message}`;
    case 'reload-failed':
      return `${tag} reload failed, the previous version goes on serving: ${event.message}`;
    case 'stopped':
      return `${tag} stopped: ${event.reason}`;
    case 'log':
      return `${tag} ${event.line}`;
  }
}
