/**
 * The Prometheus exposition: checked by Debian's `promtool check metrics`
 * (lint warnings included: no output at all) and parsed for the expected
 * series, from a synthetic `stats` with every figure, and from `lip metrics`
 * over a real server after a known sequence of calls; `lip serve --metrics`
 * over HTTP, its 404s and odd requests.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { LATENCY_BUCKETS_SECONDS, LatencyBuckets } from '../src/telemetry/latency-buckets.js';
import { metricsExposition } from '../src/telemetry/prometheus.js';
import { startFixture } from './helpers/fixture-server.js';
import { METRICS_MAX_CONNECTIONS } from '../src/cli/serve/metrics-endpoint.js';
import { fixture } from './helpers/lip-cli.js';
import { ROOT } from './helpers/paths.js';
import { metricsServer, metricsSource } from './helpers/metrics.js';
import { promtoolCheck, samples } from './helpers/promtool.js';
import { socketDir } from './helpers/temp-dir.js';

const LIP = join(ROOT, 'dist/cli/main.js');

test('exposition of every figure: promtool-clean; buckets cumulative, +Inf = count; errors by code', async (t) => {
  const buckets = new LatencyBuckets();
  for (const ms of [0.05, 0.05, 0.3, 3, 3, 3, 40, 20_000]) buckets.record(ms);
  const text = await metricsExposition([
    metricsSource('add', {
      calls: 8,
      errors: 3,
      inFlight: 2,
      queued: 1,
      cache: { hits: 5, misses: 3, size: 3 },
      errorsByCode: { ERR_LIP_REMOTE: 2, ERR_LIP_ABORTED: 1 },
      cancelled: 1,
      latencyBuckets: buckets.snapshot(),
    }),
    metricsSource('say "hi"\\', { calls: 1 }),
  ]);
  if (!promtoolCheck(t, text)) return;
  const s = samples(text);
  assert.equal(s.get('lipmodule_calls_total{function="add"}'), 8);
  assert.equal(s.get('lipmodule_errors_total{function="add",code="ERR_LIP_REMOTE"}'), 2);
  assert.equal(s.get('lipmodule_errors_total{function="add",code="ERR_LIP_ABORTED"}'), 1);
  assert.equal(s.get('lipmodule_cancelled_calls_total{function="add"}'), 1);
  assert.equal(s.get('lipmodule_calls_in_flight{function="add"}'), 2);
  assert.equal(s.get('lipmodule_calls_queued{function="add"}'), 1);
  assert.equal(s.get('lipmodule_cache_hits_total{function="add"}'), 5);
  assert.equal(s.get('lipmodule_cache_misses_total{function="add"}'), 3);
  assert.equal(s.get('lipmodule_call_duration_seconds_bucket{function="add",le="0.0001"}'), 2);
  assert.equal(s.get('lipmodule_call_duration_seconds_bucket{function="add",le="0.0005"}'), 3);
  assert.equal(s.get('lipmodule_call_duration_seconds_bucket{function="add",le="0.005"}'), 6);
  assert.equal(s.get('lipmodule_call_duration_seconds_bucket{function="add",le="0.05"}'), 7);
  assert.equal(s.get('lipmodule_call_duration_seconds_bucket{function="add",le="10"}'), 7);
  assert.equal(s.get('lipmodule_call_duration_seconds_bucket{function="add",le="+Inf"}'), 8);
  assert.equal(s.get('lipmodule_call_duration_seconds_count{function="add"}'), 8);
  assert.ok(Math.abs(s.get('lipmodule_call_duration_seconds_sum{function="add"}')! - 20.0494) < 1e-9);
  assert.equal(s.get('lipmodule_calls_total{function="say \\"hi\\"\\\\"}'), 1, 'label values escaped');
  assert.equal([...s.keys()].filter((k) => k.startsWith('lipmodule_call_duration_seconds_bucket{function="add"')).length, LATENCY_BUCKETS_SECONDS.length + 1);
});

test('lip metrics: the exposition of every function in the socket directory after known calls, promtool-clean', async (t) => {
  const dir = socketDir(t);
  const server = await startFixture(t, 'core-server.ts', dir);
  const client = new LIPClient({ socketDir: dir });
  try {
    for (let i = 0; i < 5; i++) assert.equal(await client.callFunction('add', [i, 1]), i + 1);
    for (let i = 0; i < 2; i++) await assert.rejects(client.callFunction('fail', ['type']));
  } finally {
    await client.close();
  }
  const result = spawnSync(process.execPath, [LIP, 'metrics', '--socket-dir', dir], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  if (!promtoolCheck(t, result.stdout)) return;
  const s = samples(result.stdout);
  assert.equal(s.get('lipmodule_calls_total{function="add"}'), 5);
  assert.equal(s.get('lipmodule_calls_total{function="fail"}'), 2);
  assert.equal(s.get('lipmodule_calls_total{function="echo"}'), 0);
  const failErrors = [...s].filter(([k]) => k.startsWith('lipmodule_errors_total{function="fail"')).reduce((sum, [, v]) => sum + v, 0);
  assert.equal(failErrors, 2);
  assert.equal(s.get('lipmodule_calls_in_flight{function="add"}'), 0);

  const file = join(dir, 'lipmodule.prom');
  const written = spawnSync(process.execPath, [LIP, 'metrics', '--socket-dir', dir, '--output', file], { encoding: 'utf8' });
  assert.equal(written.status, 0, written.stderr);
  assert.equal(written.stdout, '');
  assert.equal(samples(readFileSync(file, 'utf8')).get('lipmodule_calls_total{function="add"}'), 5);
  server.child.kill('SIGTERM');
  await server.exited;
});

/** The answer to one raw HTTP/1.1 exchange: status line, headers, body. */
function httpExchange(url: URL, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(request));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    // A reset is the server closing on us too: what came before it is the answer.
    socket.on('close', () => resolve(text));
    socket.on('error', () => {});
  });
}

test('lip serve --metrics: GET /metrics after known calls, promtool-clean; 404 elsewhere; odd HTTP closes only itself', async (t) => {
  const { url, client } = await metricsServer(t);
  for (let i = 0; i < 4; i++) await client.callFunction('add', [i, 1]);
  await assert.rejects(client.callFunction('fail', ['type']));
  await assert.rejects(client.callFunction('add', [1]));
  for (const n of [3, 3, 4]) await client.callFunction('square', [n]);

  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  if (!promtoolCheck(t, text)) return;
  const s = samples(text);
  assert.equal(s.get('lipmodule_calls_total{function="add"}'), 5);
  assert.equal(s.get('lipmodule_errors_total{function="add",code="ERR_LIP_ARGUMENT"}'), 1);
  assert.equal(s.get('lipmodule_errors_total{function="fail",code="ERR_LIP_REMOTE"}'), 1);
  assert.equal(s.get('lipmodule_cancelled_calls_total{function="add"}'), 0);
  assert.equal(s.get('lipmodule_cache_hits_total{function="square"}'), 1);
  assert.equal(s.get('lipmodule_cache_misses_total{function="square"}'), 2);
  assert.equal(s.get('lipmodule_call_duration_seconds_count{function="add"}'), 5);
  assert.equal(s.get('lipmodule_call_duration_seconds_bucket{function="add",le="+Inf"}'), 5);
  assert.equal(s.get('lipmodule_calls_in_flight{function="add"}'), 0);

  assert.equal((await fetch(new URL('/', url))).status, 404);
  assert.equal((await fetch(new URL('/metricsx', url))).status, 404);
  assert.equal((await fetch(url, { method: 'POST', body: 'x' })).status, 405);
  assert.match(await httpExchange(url, 'NOT HTTP AT ALL\r\n\r\n'), /^(HTTP\/1\.1 400|)/, 'garbage: closed (or a 400)');
  assert.equal(
    await httpExchange(url, `GET /metrics HTTP/1.1\r\nHost: x\r\n${'X-Long: y\r\n'.repeat(4000)}\r\n`).then((r) => /^HTTP\/1\.1 200/.test(r)),
    false,
    'oversized headers: refused',
  );
  // Idle connections up to the bound are held; the one past it takes the place of the oldest, and is answered.
  const idle = await Promise.all(
    Array.from(
      { length: METRICS_MAX_CONNECTIONS },
      () =>
        new Promise<Socket>((resolve) => {
          const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
        }),
    ),
  );
  const oldestClosed = new Promise<void>((resolve) => idle[0]!.once('close', () => resolve()));
  idle[0]!.on('error', () => {});
  assert.match(await httpExchange(url, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 200 /, `connection ${METRICS_MAX_CONNECTIONS + 1}: answered`);
  await oldestClosed;
  // fetch's keep-alive connections hold slots too: the oldest idle ones made room, the newest stays.
  assert.ok(!idle.at(-1)!.destroyed);
  for (const socket of idle) socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const after = await fetch(url);
  assert.equal(after.status, 200, 'still serving after odd requests');
  assert.equal(samples(await after.text()).get('lipmodule_calls_total{function="add"}'), 5);
  assert.equal(await client.callFunction('add', [1, 1]), 2, 'and the functions too');
});

test('lip serve --metrics: a bad address or --instances is a usage error', async () => {
  for (const args of [
    ['--metrics', 'nowhere'],
    ['--metrics', '127.0.0.1:99999'],
    ['--metrics', '9464', '--instances', '2'],
  ]) {
    const result = spawnSync(process.execPath, [LIP, 'serve', fixture('cli-math.ts'), ...args], { encoding: 'utf8' });
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /metrics/);
  }
});
