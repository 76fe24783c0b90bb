/**
 * Property test (fast-check) of docs/PROTOCOL.md's value table, over a real
 * socket to a server in a child process: random nested values of every kind
 * (a few that can't be sent among them) go out as arguments, come back as
 * results the server builds and as stream items. Each arrives equal after the
 * documented normalisations (values-spec.ts `expected`), or fails its own call
 * with a LIPProtocolError naming a path, while a plain call on the same
 * connection keeps succeeding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LIPProtocolError, LIPTimeoutError } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';
import { build, expected, sameValue, specArb, unsendable, type Spec } from './helpers/values-spec.js';

const RUNS = Number(process.env.VALUES_RUNS ?? '2000');
// A failure names its seed and path; VALUES_SEED replays it.
const SEED = process.env.VALUES_SEED === undefined ? undefined : Number(process.env.VALUES_SEED);

// `<root><steps>: <reason>`; steps are `[i]`, `.key`, `["odd key"]`, `.keys()[i]`, `.values()[i]`, `.get(key)`.
const REASON = /^(?:the result of '\w+' could not be sent: )?(args|result|item)((?:[[.][\s\S]*?)?): (a function|a symbol|a Promise|a circular reference)\b/;

test(`random values as arguments, results and stream items: equal after the table's normalisations, or a path error (${RUNS} cases)`, async (t) => {
  const { client } = await serveFixture(t, 'values-server.ts', { client: { timeoutMs: 20_000 } });
  const figures = { sent: 0, refused: 0, thenables: 0 };

  /** The call fails naming a path, for a reason the spec holds. */
  async function failsWithPath(call: Promise<unknown>, spec: Spec, root: string): Promise<void> {
    const error = await call.then(
      (value) => assert.fail(`expected a path error, got ${String(value)}`),
      (e: unknown) => e as Error,
    );
    assert.ok(error instanceof LIPProtocolError, `a LIPProtocolError, got ${error?.name}: ${error?.message}`);
    const match = REASON.exec(error.message.replace(/^'?(echo|make|items)'?: /, ''));
    assert.ok(match, `a path and a reason in: ${error.message}`);
    assert.equal(match[1], root, error.message);
    assert.ok(unsendable(spec).includes(match[3]!), `${match[3]} is among ${unsendable(spec).join(', ')}`);
  }

  function equal(actual: unknown, spec: Spec, what: string): void {
    const difference = sameValue(actual, expected(spec));
    assert.equal(difference, undefined, `${what}: ${difference}\nspec: ${JSON.stringify(spec)}`);
  }

  await fc.assert(
    fc.asyncProperty(specArb({ unsendableOneIn: 40 }), async (spec) => {
      const json = JSON.stringify(spec);
      const cannot = unsendable(spec).length > 0;
      if (cannot) figures.refused++;
      else figures.sent++;

      // As an argument (the server echoes it: its decoder, then its encoder), inside an array: an
      // argument that is itself a function, or a plain object's function property, is a callback (issue 19).
      const asArgument = client.callFunction<unknown[]>('echo', [[build(spec)]]);
      if (cannot) await failsWithPath(asArgument, spec, 'args');
      else equal((await asArgument)[0], spec, 'argument');

      // A Promise returned or yielded is awaited, as JavaScript does: only inside a value is it refused.
      if (spec.t === 'promise') {
        assert.equal(await client.callFunction('make', [json]), 1);
        return;
      }

      // A result or item with a callable `then` is a thenable, awaited as JavaScript awaits it
      // (docs/PROTOCOL.md). This one's `then` never calls back: the call ends at its deadline, not with a
      // path error (before, the test waited out 20 s per case, and shrinking such a case ran for minutes).
      if (spec.t === 'object' && spec.entries.some(([key, value]) => key === 'then' && value.t === 'fn')) {
        const short = { timeoutMs: 300 };
        await assert.rejects(client.callFunction('make', [json], {}, short), LIPTimeoutError);
        const received: unknown[] = [];
        const streamed = (async () => {
          for await (const item of client.stream('items', [json], {}, short)) received.push(item);
        })();
        await assert.rejects(streamed, LIPTimeoutError);
        assert.deepEqual(received, ['first']);
        figures.thenables++;
        assert.equal(await client.callFunction('add', [2, 3]), 5);
        return;
      }

      // As a result the server builds from the same spec.
      const asResult = client.callFunction('make', [json]);
      if (cannot) await failsWithPath(asResult, spec, 'result');
      else equal(await asResult, spec, 'result');

      // As a stream item, between two plain ones.
      const received: unknown[] = [];
      const streamed = (async () => {
        for await (const item of client.stream('items', [json])) received.push(item);
      })();
      if (cannot) {
        await failsWithPath(streamed, spec, 'item');
        assert.deepEqual(received, ['first']);
      } else {
        await streamed;
        assert.equal(received.length, 3);
        equal(received[1], spec, 'stream item');
      }

      // The connection is fine throughout.
      assert.equal(await client.callFunction('add', [2, 3]), 5);
    }),
    // Shrinking a failure whose calls wait out their deadline could otherwise run for hours: the run
    // stops after 4 minutes (about 50x its usual time) and fails, with the seed to replay it.
    { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 240_000, markInterruptAsFailure: true },
  );
  t.diagnostic(`sent ${figures.sent} values, ${figures.refused} that can't be sent, ${figures.thenables} thenables`);
  assert.ok(figures.refused > 0 && figures.sent > RUNS / 2);
});
