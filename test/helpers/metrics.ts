/** What the Prometheus exposition tests share: a `stats` answer with every figure, and `lip serve --metrics` with a client. */
import { LIPClient, type MetricsSource } from '../../src/index.js';
import { fixture, serve } from './lip-cli.js';
import type { TestContext } from 'node:test';
import { socketDir } from './temp-dir.js';

/** One function's `stats` as `metricsExposition` takes it: every figure zero unless `extra` says otherwise. */
export function metricsSource(name: string, extra: Partial<MetricsSource> = {}): MetricsSource {
  return {
    name,
    pid: 1,
    uptimeMs: 5000,
    calls: 0,
    errors: 0,
    inFlight: 0,
    queued: 0,
    cache: { hits: 0, misses: 0, size: 0 },
    latencyMs: { p50: 0, p99: 0, max: 0, samples: 0 },
    lastError: null,
    ...extra,
  };
}

/** `lip serve` of cli-math's add, fail and square with `--metrics` on a free port, once it says where; and a client of it. */
export async function metricsServer(t: TestContext) {
  const dir = socketDir(t);
  const served = await serve(t, [fixture('cli-math.ts'), '--only', 'add,fail,square', '--metrics', '127.0.0.1:0'], dir, 3);
  await served.waitFor((out) => /metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/.test(out));
  const url = new URL(/metrics at (\S+)/.exec(served.stdout())![1]!);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());
  return { served, url, client, port: Number(url.port), pid: served.child.pid! };
}
