/**
 * The soak shared by `npm test` (test/soak-short.test.ts) and `npm run soak`
 * (test/long/soak.ts): client processes hammer one server with `tagged` calls
 * while this process asks it for stats; every reply is checked by its caller.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LIPClient } from '../../src/index.js';
import { startFixture } from './fixture-server.js';
import { FIXTURES } from './paths.js';
import type { AfterHook } from './temp-dir.js';

export interface SoakConfig {
  procs: number;
  calls: number;
  inflight: number;
  maxBytes: number;
}

export interface SoakFigures extends SoakConfig {
  ok: number;
  mismatches: number;
  errors: number;
  firstErrors: string[];
  statsAsked: number;
  serverCalls: number;
  serverAlive: boolean;
  serverRssMiB: { start: number; peak: number; end: number };
  payloadMiB: number;
  seconds: number;
}

interface WorkerResult {
  calls: number;
  ok: number;
  mismatches: number;
  errors: number;
  firstErrors: string[];
  payloadMiB: number;
}

export async function runSoak(t: AfterHook, dir: string, config: SoakConfig): Promise<SoakFigures> {
  const server = await startFixture(t, 'target-server.ts', dir);
  const observer = new LIPClient({ socketDir: dir });
  t.after(() => observer.destroy());
  type Probe = { rss: number };
  const mib = (n: number) => Number((n / 1048576).toFixed(1));
  const start = (await observer.callFunction<Probe>('probe')).rss;
  let peak = start;
  let statsAsked = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      await observer.stats('tagged');
      statsAsked++;
      if (statsAsked % 20 === 0) peak = Math.max(peak, (await observer.callFunction<Probe>('probe')).rss);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  const started = performance.now();
  const workers = Array.from({ length: config.procs }, (_, i) => runWorker(t, dir, config, i + 1));
  const results = await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  watching = false;
  await watcher;
  const stats = await observer.stats('tagged');
  const end = (await observer.callFunction<Probe>('probe')).rss;
  return {
    ...config,
    ok: results.reduce((s, r) => s + r.ok, 0),
    mismatches: results.reduce((s, r) => s + r.mismatches, 0),
    errors: results.reduce((s, r) => s + r.errors, 0),
    firstErrors: results.flatMap((r) => r.firstErrors).slice(0, 5),
    statsAsked,
    serverCalls: stats.calls,
    serverAlive: server.child.exitCode === null,
    serverRssMiB: { start: mib(start), peak: mib(Math.max(peak, end)), end: mib(end) },
    payloadMiB: results.reduce((s, r) => s + r.payloadMiB, 0),
    seconds: Number(seconds.toFixed(1)),
  };
}

function runWorker(t: AfterHook, dir: string, config: SoakConfig, seed: number): Promise<WorkerResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'soak-client.ts')], {
    env: {
      ...process.env,
      LIP_SOCKET_DIR: dir,
      SOAK_CALLS: String(config.calls),
      SOAK_INFLIGHT: String(config.inflight),
      SOAK_MAX_BYTES: String(config.maxBytes),
      SOAK_SEED: String(seed),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('DONE '));
      if (!line) reject(new Error(`soak client ${seed} exited ${code} without figures\n${out}\n${err}`));
      else resolve(JSON.parse(line.slice(5)) as WorkerResult);
    });
  });
}
