/**
 * What a served function tells about itself, from another process: stats
 * (calls, errors, latency, last error), ping's round trip, and describe's facts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPArgumentError } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';

test('stats, ping and describe', async (t) => {
  const { client } = await serveFixture(t, 'features-server.ts');

  await t.test('stats count a known sequence of calls, errors and latency', async () => {
    for (let i = 0; i < 5; i++) await client.callFunction('greet', [`n${i}`]);
    await assert.rejects(client.callFunction('greet', []), LIPArgumentError);
    await assert.rejects(client.callFunction('greet', [1, 2], { zz: 1 }), LIPArgumentError);
    const stats = await client.stats('greet');
    assert.equal(stats.name, 'greet');
    assert.equal(stats.calls, 7);
    assert.equal(stats.errors, 2);
    assert.equal(stats.inFlight, 0);
    assert.equal(stats.latencyMs.samples, 7);
    assert.ok(stats.latencyMs.p50 >= 0 && stats.latencyMs.p99 >= stats.latencyMs.p50 && stats.latencyMs.max >= stats.latencyMs.p99);
    assert.match(stats.lastError?.message ?? '', /unexpected keyword argument 'zz'/);
    assert.ok(stats.uptimeMs >= 0);
    assert.equal(typeof stats.pid, 'number');
  });

  await t.test('ping measures a round trip', async () => {
    const ms = await client.ping('greet');
    assert.ok(Number.isFinite(ms) && ms >= 0);
  });

  await t.test('describe answers with the function facts', async () => {
    const info = await client.describe('limited');
    assert.equal(info.name, 'limited');
    assert.equal(info.signature, 'limited(ms)');
    assert.equal(info.version, '0.0.0');
    assert.match(info.lib, /^lipmodule\//);
    assert.ok(!Number.isNaN(Date.parse(info.startedAt)));
    assert.equal(info.streaming, false);
    assert.equal((await client.describe('ticks')).streaming, true);
  });
});
