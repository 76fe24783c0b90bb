/**
 * Admission of a call before it runs: the concurrency limit and its queue
 * (LIPBusyError when full), and a Standard Schema (zod, valibot) validating
 * the argument list, whose JSON Schema describe reports.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPArgumentError, LIPBusyError, LIPClient, LIPError } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';

test('concurrency and schema validation', async (t) => {
  const { client } = await serveFixture(t, 'features-server.ts');

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

  await t.test('a result that fails when looked at fails its call and gives the slot back', async () => {
    for (const kind of ['badIterator', 'thenGetter', 'revoked']) {
      await assert.rejects(client.callFunction('oddResult', [kind], {}, { timeoutMs: 5000 }), LIPError, kind);
      // With one slot, a slot kept by the odd result would leave this call queued until its deadline.
      assert.equal(await client.callFunction('oddResult', ['plain'], {}, { timeoutMs: 5000 }), 1, `after ${kind}`);
    }
    const stats = await client.stats('oddResult');
    assert.equal(stats.inFlight, 0);
    // The stream failed in the function's own iteration; the other two were returned and failed only to be sent.
    assert.equal(stats.errors, 1);
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
