/**
 * Hostile `stats` answers and the Prometheus exposition: `lip metrics` over a
 * socket directory where some functions answer `stats` with values no server
 * could have counted (NaN, Infinity, negative, fractional, strings, 1e300,
 * enormous names, thousands of made-up ERR_LIP_ codes, a histogram that
 * doesn't add up, an answer that isn't an object) still prints an exposition
 * promtool accepts without a word, keeps the good functions' figures, leaves
 * the bad figures out with a warning on stderr, and counts made-up codes as
 * ERR_LIP_REMOTE (bounded label values). A served function throwing a
 * made-up ERR_LIP_ code is counted the same way in its own stats and spans.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient, LIPModule, metricsExposition, type MetricsSource } from '../src/index.js';
import { ErrorCode } from '../src/errors.js';
import { LatencyBuckets } from '../src/telemetry/latency-buckets.js';
import { startFixture } from './helpers/fixture-server.js';
import { metricPoints, registerTestSdk } from './helpers/otel-sdk.js';
import { metricsSource } from './helpers/metrics.js';
import { promtoolCheck, samples } from './helpers/promtool.js';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

const LIP = join(ROOT, 'dist/cli/main.js');
const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

function good(name: string): Record<string, unknown> {
  const buckets = new LatencyBuckets();
  for (const ms of [0.05, 2, 30]) buckets.record(ms);
  return {
    ...metricsSource(name, { calls: 3, errors: 1, latencyMs: { p50: 2, p99: 30, max: 30, samples: 3 } }),
    errorsByCode: { ERR_LIP_REMOTE: 1 },
    cancelled: 0,
    latencyBuckets: buckets.snapshot(),
  };
}

const thousandsOfCodes = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`ERR_LIP_MADE_UP_${i}_${'Z'.repeat(200)}`, 1]));

/** Answers as the hostile server sends them ("NaN", "Infinity", "-0" stand for the numbers). */
const HOSTILE: Record<string, unknown> = {
  nans: { ...good('nans'), calls: 'NaN', errors: 'Infinity', inFlight: '-Infinity', queued: '-0', cancelled: -1 },
  strings: { ...good('strings'), calls: '12', cache: 'lots', uptimeMs: 'yesterday', errorsByCode: 'many' },
  huge: { ...good('huge'), calls: 1e300, errors: 2 ** 53, inFlight: 0.5, uptimeMs: 1e300 },
  codes: { ...good('codes'), errorsByCode: { ...thousandsOfCodes, ERR_LIP_TIMEOUT: 2, ERR_LIP_REMOTE: 3, 'bad\n{label="x"}': 4, ERR_LIP_BUSY: -5 } },
  'long-name': { ...good('x'.repeat(1_000_000)) },
  'bad-buckets': {
    ...good('bad-buckets'),
    latencyBuckets: { boundsSeconds: [0.1, 0.05, 'NaN'], counts: [1, 2, 3, 4], sumSeconds: -1, count: 99 },
  },
  'not-an-object': 'stats? never heard of them',
  'an-array': [1, 2, 3],
  nothing: null,
};

test('metricsExposition: hostile figures are left out with a warning; made-up codes count as ERR_LIP_REMOTE; promtool-clean', async (t) => {
  const warnings: string[] = [];
  const sources = [
    good('fine'),
    { ...good('neg'), calls: -3, cache: { hits: Number.NaN, misses: 1.5, size: 'x' } },
    { ...good('codes'), errorsByCode: { ...thousandsOfCodes, ERR_LIP_TIMEOUT: 2 } },
    { ...good('overflow'), errorsByCode: { ERR_LIP_MADE_UP: Number.MAX_SAFE_INTEGER, ERR_LIP_REMOTE: Number.MAX_SAFE_INTEGER } },
    { ...good('y'.repeat(101)) },
    'a string',
    null,
  ] as unknown as MetricsSource[];
  const text = await metricsExposition(sources, { onWarning: (message) => warnings.push(message) });
  if (!promtoolCheck(t, text)) return;
  const s = samples(text);
  assert.equal(s.get('lipmodule_calls_total{function="fine"}'), 3);
  assert.equal(s.get('lipmodule_calls_total{function="neg"}'), undefined, 'a negative count: left out');
  assert.equal(s.get('lipmodule_cache_hits_total{function="neg"}'), undefined);
  assert.equal(s.get('lipmodule_cache_misses_total{function="neg"}'), undefined);
  assert.equal(s.get('lipmodule_call_duration_seconds_count{function="neg"}'), 3, "the function's other figures stay");
  assert.equal(s.get('lipmodule_errors_total{function="codes",code="ERR_LIP_REMOTE"}'), 5000);
  assert.equal(s.get('lipmodule_errors_total{function="codes",code="ERR_LIP_TIMEOUT"}'), 2);
  assert.equal(s.get('lipmodule_errors_total{function="overflow",code="ERR_LIP_REMOTE"}'), Number.MAX_SAFE_INTEGER, 'a sum past 2^53 stops there');
  assert.ok(![...s.keys()].some((key) => key.includes('y'.repeat(101))), 'a name longer than any socket allows: left out');
  assert.ok(text.length < 20_000, `a bounded exposition (${text.length} characters)`);
  for (const [key] of s) {
    const code = /code="([^"]*)"/.exec(key)?.[1];
    if (code !== undefined) assert.ok(KNOWN_CODES.has(code), `only codes of the table: ${code}`);
  }
  assert.ok(
    warnings.some((w) => w.startsWith('"neg"') && /calls=-3/.test(w) && /cache\.hits=NaN/.test(w) && /cache\.size="x"/.test(w)),
    warnings.join('\n'),
  );
  assert.ok(warnings.some((w) => /"codes": 5000 error codes not in lipmodule's table, counted as ERR_LIP_REMOTE/.test(w)));
  assert.ok(warnings.some((w) => /not an object \(a string/.test(w)));
  assert.ok(warnings.some((w) => /not an object \(null\)/.test(w)));
  assert.ok(warnings.some((w) => /without a usable function name \(a string of 101 characters\)/.test(w)));
  assert.ok(warnings.length <= 10, 'one line per problem, not one per made-up code');
  assert.ok(
    warnings.every((w) => w.length < 400),
    'warnings are short, whatever the values',
  );
});

test('lip metrics over a directory with hostile functions: exit 0, promtool-clean, good figures kept, a warning each', async (t) => {
  const dir = socketDir(t);
  const server = await startFixture(t, 'core-server.ts', dir);
  const answers = join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify(HOSTILE));
  await startFixture(t, 'hostile-stats-server.ts', dir, { HOSTILE_STATS: answers });
  const client = new LIPClient({ socketDir: dir });
  try {
    for (let i = 0; i < 4; i++) await client.callFunction('add', [i, 1]);
  } finally {
    await client.close();
  }
  const result = spawnSync(process.execPath, [LIP, 'metrics', '--socket-dir', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  if (!promtoolCheck(t, result.stdout)) return;
  const s = samples(result.stdout);
  assert.equal(s.get('lipmodule_calls_total{function="add"}'), 4, 'the good server is read as before');
  assert.equal(s.get('lipmodule_call_duration_seconds_count{function="add"}'), 4);
  assert.equal(s.get('lipmodule_calls_total{function="nans"}'), undefined);
  assert.equal(s.get('lipmodule_calls_in_flight{function="nans"}'), undefined);
  assert.equal(s.get('lipmodule_calls_queued{function="nans"}'), 0, '-0 is a zero');
  assert.equal(s.get('lipmodule_cancelled_calls_total{function="nans"}'), undefined);
  assert.equal(s.get('lipmodule_calls_total{function="strings"}'), undefined);
  assert.equal(s.get('lipmodule_cache_hits_total{function="strings"}'), undefined);
  assert.equal(s.get('lipmodule_start_time_seconds{function="strings"}'), undefined);
  assert.equal(s.get('lipmodule_calls_total{function="huge"}'), undefined, '1e300 calls: no server counted that');
  assert.equal(s.get('lipmodule_errors_total{function="huge",code="ERR_LIP_REMOTE"}'), 1);
  assert.equal(s.get('lipmodule_start_time_seconds{function="huge"}'), undefined);
  assert.equal(s.get('lipmodule_errors_total{function="codes",code="ERR_LIP_REMOTE"}'), 5000 + 3 + 4);
  assert.equal(s.get('lipmodule_errors_total{function="codes",code="ERR_LIP_TIMEOUT"}'), 2);
  assert.equal(s.get('lipmodule_errors_total{function="codes",code="ERR_LIP_BUSY"}'), undefined);
  assert.equal(s.get('lipmodule_calls_total{function="long-name"}'), 3, 'named by its socket, not by what it says its name is');
  assert.equal(s.get('lipmodule_call_duration_seconds_count{function="bad-buckets"}'), undefined);
  assert.equal(s.get('lipmodule_calls_total{function="bad-buckets"}'), 3);
  for (const name of ['not-an-object', 'an-array', 'nothing']) assert.ok(![...s.keys()].some((key) => key.includes(`"${name}"`)), `${name}: left out`);
  for (const [key] of s) {
    const code = /code="([^"]*)"/.exec(key)?.[1];
    if (code !== undefined) assert.ok(KNOWN_CODES.has(code), `only codes of the table: ${code}`);
  }
  assert.ok(result.stdout.length < 50_000, `a bounded exposition (${result.stdout.length} characters)`);
  const warnings = result.stderr.trim().split('\n');
  for (const name of ['nans', 'strings', 'huge', 'codes', 'bad-buckets'])
    assert.ok(
      warnings.some((w) => w.startsWith(`lip metrics: warning: "${name}"`)),
      `a warning names ${name}:\n${result.stderr}`,
    );
  for (const name of ['not-an-object', 'an-array', 'nothing'])
    assert.ok(warnings.includes(`lip metrics: warning: "${name}": its stats answer is not an object: left out`), result.stderr);
  assert.ok(warnings.length <= 12 && result.stderr.length < 4000, `a few short lines, not one per value:\n${result.stderr}`);
  server.child.kill('SIGTERM');
  await server.exited;
});

test('a function throwing a made-up ERR_LIP_ code: counted as ERR_LIP_REMOTE in its stats and its spans', async (t) => {
  const sdk = registerTestSdk();
  t.after(() => sdk.shutdown());
  const dir = socketDir(t);
  const madeUp = LIPModule({ logLevel: 'silent' })(function madeUp(i: number) {
    throw Object.assign(new Error('mine'), { code: `ERR_LIP_INVENTED_${i}` });
  });
  await madeUp.init({ socketDir: dir });
  t.after(() => madeUp.exit());
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());
  for (let i = 0; i < 20; i++) await assert.rejects(client.callFunction('madeUp', [i]));
  assert.deepEqual(madeUp.stats().errorsByCode, { ERR_LIP_REMOTE: 20 });
  const types = new Set(sdk.spans.getFinishedSpans().map((span) => span.attributes['error.type']));
  assert.deepEqual([...types].sort(), ['ERR_LIP_REMOTE', 'Error'], 'the client sees a remote error; the server names the class');
  const statuses = new Set(metricPoints(await sdk.collectMetrics(), 'rpc.server.call.duration').map((p) => p.attributes['rpc.status_code']));
  assert.deepEqual([...statuses], ['ERR_LIP_REMOTE']);
});
