/**
 * Keyword arguments bound by parameter name as in Python: defaults, rest
 * parameters, destructured parameters, and each binding error (missing, too
 * many, unexpected, given twice); describe lists the parameters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPArgumentError } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';

test('keyword arguments bind by parameter name, as in Python', async (t) => {
  const { client } = await serveFixture(t, 'features-server.ts');
  const call = (name: string, args: unknown[], kwargs: Record<string, unknown> = {}) => client.callFunction(name, args, kwargs);
  const argumentError = (pattern: RegExp) => (e: unknown) => e instanceof LIPArgumentError && e.code === ErrorCode.Argument && pattern.test(e.message);

  await t.test('by name, mixed with positional, and with defaults', async () => {
    assert.equal(await call('greet', [], { name: 'Ada' }), 'Hello, Ada');
    assert.equal(await call('greet', ['Ada'], { greeting: 'Hi' }), 'Hi, Ada');
    assert.equal(await call('greet', [], { greeting: 'Hey', name: 'Bo' }), 'Hey, Bo');
  });

  await t.test('rest parameters take the remaining positional arguments', async () => {
    assert.equal(await call('greet', ['Ada', 'Hi', '!', '?']), 'Hi, Ada!?');
  });

  await t.test('a missing required argument', async () => {
    await assert.rejects(call('greet', []), argumentError(/missing a required argument: 'name'/));
    await assert.rejects(call('greet', [], { greeting: 'Hi' }), argumentError(/missing a required argument: 'name'/));
  });

  await t.test('too many positional arguments', async () => {
    await assert.rejects(call('counted', [1, 2, 3]), argumentError(/too many positional arguments/));
  });

  await t.test('an unexpected keyword argument', async () => {
    await assert.rejects(call('greet', ['Ada'], { c: 1 }), argumentError(/got an unexpected keyword argument 'c'/));
  });

  await t.test('an argument given both ways', async () => {
    await assert.rejects(call('greet', ['Ada'], { name: 'Bo' }), argumentError(/multiple values for argument 'name'/));
  });

  await t.test('a rest parameter cannot be given by keyword', async () => {
    await assert.rejects(call('greet', ['Ada'], { marks: ['!'] }), argumentError(/rest parameter/));
  });

  await t.test('destructured parameters are positional only, and the error says so', async () => {
    assert.deepEqual(await call('point', [{ x: 1, y: 2 }], { scale: 3 }), [3, 6]);
    await assert.rejects(
      call('point', [], { x: 1 }),
      argumentError(/unexpected keyword argument 'x' \(destructured parameters can only be passed positionally\)/),
    );
  });

  await t.test('after all those errors the server still serves', async () => {
    assert.equal(await call('greet', ['Cy']), 'Hello, Cy');
  });

  await t.test('describe lists the parameters and the signature', async () => {
    const info = await client.describe('greet');
    // With the types, and the default, as written in the fixture's TypeScript.
    assert.deepEqual(info.params, [
      { name: 'name', optional: false, rest: false, type: 'string' },
      { name: 'greeting', optional: true, rest: false, default: "'Hello'" },
      { name: 'marks', optional: true, rest: true, type: 'string[]' },
    ]);
    assert.equal(info.signature, 'greet(name, greeting?, ...marks)');
    const point = await client.describe('point');
    assert.equal(point.params[0]!.positionalOnly, true);
  });
});
