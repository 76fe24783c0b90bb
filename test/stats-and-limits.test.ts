import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPArgumentError, LIPBusyError, LIPClient } from '../src/index.js';
import { socketDir, startFixture } from './helpers.js';

test('stats, ping, concurrency and schema validation', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'features-server.ts', dir);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());

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

  await t.test('concurrency queues calls, and a full queue answers LIPBusyError at once', async () => {
    // concurrency 1 and maxQueue 1: one runs, one waits, the third is refused.
    const first = client.callFunction('limited', [300]);
    const second = client.callFunction('limited', [1]);
    await new Promise((r) => setTimeout(r, 50));
    const stats = await client.stats('limited');
    assert.equal(stats.queued, 1);
    await assert.rejects(client.callFunction('limited', [1]), (e: unknown) => e instanceof LIPBusyError && e.code === ErrorCode.Busy);
    assert.deepEqual(await Promise.all([first, second]), [300, 1]);
    assert.equal(await client.callFunction('limited', [1]), 1);
  });

  await t.test('a Standard Schema validates the argument list; issues come back with paths', async () => {
    assert.equal(await client.callFunction('validated', [3, 'apples']), '3 apples');
    assert.equal(await client.callFunction('validated', [3], { label: 'kw' }), '3 kw');
    const error = (await client.callFunction('validated', [1.5, 'x']).catch((e: unknown) => e)) as LIPArgumentError;
    assert.ok(error instanceof LIPArgumentError, `got ${String(error)}`);
    assert.equal(error.code, ErrorCode.Argument);
    const paths = (error.issues ?? []).map((i) => i.path);
    assert.deepEqual(paths, [[0], [1]]);
    assert.match(error.message, /invalid arguments/);
  });

  await t.test('describe includes the JSON Schema the validator produces', async () => {
    const info = await client.describe('validated');
    const schema = info.schema as { type: string; prefixItems: unknown[] };
    assert.equal(schema.type, 'array');
    assert.equal(schema.prefixItems.length, 2);
  });
});

test('valibot works as the schema too; without a JSON Schema converter, describe leaves schema out', async (t) => {
  const v = await import('valibot');
  const dir = socketDir(t);
  const { LIPModule } = await import('../src/index.js');
  const scale = LIPModule({ logLevel: 'silent', socketDir: dir, schema: v.tuple([v.number(), v.optional(v.number())]) })(function scale(x: number, by = 2) {
    return x * by;
  });
  await scale.init();
  t.after(() => scale.exit());
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('scale', [4]), 8);
  await assert.rejects(client.callFunction('scale', ['4']), (e: unknown) => e instanceof LIPArgumentError && e.issues?.[0]?.path?.[0] === 0);
  assert.equal('schema' in (await client.describe('scale')), false);
});
