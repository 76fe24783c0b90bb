/**
 * Issue 16 items 5 and 6 on the `stats` verb: errors by code, cancelled calls,
 * and a latency histogram in the shared buckets whose figures agree with the
 * reported percentiles on the same calls (p50 of 50 fast and 50 slow calls is
 * one of the fast ones, in the bucket where the histogram's count reaches 50).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPClient, LIPModule, type FunctionStats } from '../src/index.js';
import { socketDir } from './helpers/temp-dir.js';

const quiet = { logLevel: 'silent' } as const;

/** The upper bound (ms) of the bucket holding the rank-th smallest duration, as a histogram quantile finds it. */
function bucketOfRank(stats: FunctionStats, rank: number): { low: number; high: number } {
  const { boundsSeconds, counts } = stats.latencyBuckets;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i]!;
    if (cumulative >= rank) return { low: i === 0 ? 0 : boundsSeconds[i - 1]! * 1000, high: (boundsSeconds[i] ?? Infinity) * 1000 };
  }
  throw new Error(`rank ${rank} beyond ${cumulative} calls`);
}

test('stats: p50 and p99 lie in the buckets the histogram gives the same ranks', async (t) => {
  const dir = socketDir(t);
  const wait = LIPModule(quiet)(async function wait(ms: number) {
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return ms;
  });
  await wait.init({ socketDir: dir });
  t.after(() => wait.exit());
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());

  for (let i = 0; i < 50; i++) await client.callFunction('wait', [0]);
  await Promise.all(Array.from({ length: 50 }, () => client.callFunction('wait', [300])));
  const stats = await client.stats('wait');
  assert.equal(stats.latencyBuckets.count, 100);
  assert.equal(
    stats.latencyBuckets.counts.reduce((a, b) => a + b, 0),
    100,
  );
  assert.equal(stats.latencyMs.samples, 100);
  for (const [q, p] of [
    [0.5, stats.latencyMs.p50],
    [0.99, stats.latencyMs.p99],
  ] as const) {
    const { low, high } = bucketOfRank(stats, Math.ceil(q * 100));
    // The percentile is rounded to the microsecond; the bucket bounds are exact.
    assert.ok(p >= low - 0.001 && p <= high + 0.001, `p${q * 100} = ${p} ms, the histogram says (${low}, ${high}] ms`);
  }
  const sumMs = stats.latencyBuckets.sumSeconds * 1000;
  assert.ok(sumMs >= 50 * 300, `the sum holds the slow calls (${sumMs} ms)`);
});

test('stats: errors by code, and calls whose caller went away counted as cancelled', async (t) => {
  const dir = socketDir(t);
  const picky = LIPModule(quiet)(function picky(x: number) {
    if (x < 0) throw new RangeError('negative');
    return x;
  });
  const patient = LIPModule(quiet)(async function patient() {
    const { signal } = LIPModule.context();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return 'gave up';
  });
  // What a function should do when its caller goes away: stop, by rejecting with the signal's reason.
  const obedient = LIPModule(quiet)(async function obedient() {
    const { signal } = LIPModule.context();
    await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  });
  for (const fn of [picky, patient, obedient]) {
    await fn.init({ socketDir: dir });
    t.after(() => fn.exit());
  }
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());
  await client.callFunction('picky', [1]);
  await assert.rejects(client.callFunction('picky', [-1]));
  await assert.rejects(client.callFunction('picky', [-2]));
  await assert.rejects(client.callFunction('picky', [], { y: 1 }));
  const stats = await client.stats('picky');
  assert.deepEqual(stats.errorsByCode, { ERR_LIP_REMOTE: 2, ERR_LIP_ARGUMENT: 1 });
  assert.equal(stats.errors, 3);
  assert.equal(stats.cancelled, 0);

  // Connected first: a first contact slower than the 100 ms (a loaded machine) would time the call out before it is sent.
  await client.ping('patient');
  await assert.rejects(client.callFunction('patient', [], {}, { timeoutMs: 100 }), { code: 'ERR_LIP_TIMEOUT' });
  let after = await client.stats('patient');
  for (let i = 0; i < 500 && after.cancelled === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    after = await client.stats('patient');
  }
  assert.equal(after.cancelled, 1, 'its deadline passed: cancelled, though the function returned');
  assert.equal(after.errors, 0);
  assert.equal(after.calls, 1);

  // Before: a function that stopped on the signal was counted as failing (ERR_LIP_REMOTE), its caller's timeout as its lastError.
  await client.ping('obedient');
  await assert.rejects(client.callFunction('obedient', [], {}, { timeoutMs: 100 }), { code: 'ERR_LIP_TIMEOUT' });
  let stopped = await client.stats('obedient');
  for (let i = 0; i < 500 && stopped.cancelled === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    stopped = await client.stats('obedient');
  }
  assert.equal(stopped.cancelled, 1, 'stopped on its signal: cancelled');
  assert.equal(stopped.errors, 0, 'and not an error');
  assert.deepEqual(stopped.errorsByCode, {});
  assert.equal(stopped.lastError, null);
  assert.equal(stopped.calls, 1);
});

test('stats: a thrown value whose traps or getters throw is still counted by code, with a lastError', async (t) => {
  // Before: reading the Proxy's `code` threw inside the stats, so `errors` grew and `errorsByCode` did not.
  const dir = socketDir(t);
  const hostile = [
    () =>
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('get trap');
          },
          getPrototypeOf: () => {
            throw new Error('prototype trap');
          },
        },
      ),
    () =>
      Object.defineProperty(new Error('x'), 'message', {
        get: () => {
          throw new Error('message getter');
        },
      }),
    () =>
      Object.defineProperty(new Error('x'), 'code', {
        get: () => {
          throw new Error('code getter');
        },
      }),
  ];
  const sthrow = LIPModule({ logLevel: 'silent', socketDir: dir })(function sthrow(k: number) {
    throw hostile[k]!();
  });
  await sthrow.init();
  t.after(() => sthrow.exit());
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  for (let k = 0; k < hostile.length; k++) await assert.rejects(client.callFunction('sthrow', [k]));
  const stats = await client.stats('sthrow');
  assert.equal(stats.errors, hostile.length);
  assert.deepEqual(stats.errorsByCode, { ERR_LIP_REMOTE: hostile.length });
  assert.ok(stats.lastError && stats.lastError.name.length > 0);
  assert.equal(await client.callFunction('sthrow', [99]).catch((e: Error) => e.name), 'LIPRemoteError');
});
