/**
 * The short soak run by `npm test`: 2 client processes x 2,000 calls, 64 in
 * flight each, payloads up to 1 MiB, while the server is asked for stats.
 * Every reply must be its own request's; `npm run soak` runs the long form.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { socketDir } from './helpers/temp-dir.js';
import { runSoak } from './helpers/soak-runner.js';

test('soak: 2 processes x 2,000 calls, 64 in flight, payloads up to 1 MiB: no loss, duplicate or mix-up', async (t) => {
  const dir = socketDir(t);
  const figures = await runSoak(t, dir, { procs: 2, calls: 2000, inflight: 64, maxBytes: 1 << 20 });
  t.diagnostic(JSON.stringify(figures));
  assert.deepEqual(figures.firstErrors, []);
  assert.equal(figures.errors, 0);
  assert.equal(figures.mismatches, 0);
  assert.equal(figures.ok, 4000);
  assert.ok(figures.serverCalls >= 4000, 'the server counted every call');
  assert.ok(figures.statsAsked > 0, 'stats were asked during the run');
  assert.ok(figures.serverAlive);
});
