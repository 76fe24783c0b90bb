/**
 * What a served function knows before its source is read: wrapping no longer
 * parses the function (acorn's first parse costs milliseconds), `init()` reads
 * the parameters in the idle turn after it listens, and a stream is told from
 * the function's kind. A call that arrives first, or a function whose source
 * can't be parsed, must be served exactly as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPArgumentError, LIPClient, LIPModule } from '../src/index.js';
import { socketDir } from './helpers/temp-dir.js';

test('a call sent the moment init() resolves is bound by name, and too many or missing arguments are refused', async (t) => {
  const dir = socketDir(t);
  const greet = LIPModule({ socketDir: dir, logLevel: 'silent' })(function greet(name: string, greeting = 'hello') {
    return `${greeting}, ${name}`;
  });
  await greet.init();
  t.after(() => greet.exit());
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());
  // Sent in the same turn as init() resolved: before the idle turn that reads the parameters.
  const [byName, missing, tooMany] = await Promise.allSettled([
    client.callFunction('greet', [], { name: 'ada', greeting: 'hi' }),
    client.callFunction('greet', []),
    client.callFunction('greet', [1, 2, 3]),
  ]);
  assert.deepEqual(byName, { status: 'fulfilled', value: 'hi, ada' });
  assert.ok(missing.status === 'rejected' && missing.reason instanceof LIPArgumentError, String(missing.status));
  assert.match((missing as PromiseRejectedResult).reason.message, /missing a required argument: 'name'/);
  assert.ok(tooMany.status === 'rejected' && tooMany.reason instanceof LIPArgumentError);
  assert.match((tooMany as PromiseRejectedResult).reason.message, /too many positional arguments: takes 2, got 3/);
  const { params } = await client.describe('greet');
  assert.deepEqual(
    params.map((p) => [p.name, p.optional]),
    [
      ['name', false],
      ['greeting', true],
    ],
  );
});

test('a stream is told from the function, even one whose source a parser cannot read', async (t) => {
  const dir = socketDir(t);
  async function* count(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  // A Proxy's source reads as native code: the parser finds nothing, yet calling it gives a generator.
  const proxied = LIPModule({ name: 'proxied', socketDir: dir, logLevel: 'silent' })(new Proxy(count, {}));
  const plain = LIPModule({ name: 'plain', socketDir: dir, logLevel: 'silent' })(count);
  const notStream = LIPModule({ name: 'notStream', socketDir: dir, logLevel: 'silent' })(async (n: number) => n * 2);
  for (const f of [proxied, plain, notStream]) {
    await f.init();
    t.after(() => f.exit());
  }
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());
  assert.equal((await client.describe('proxied')).streaming, true);
  assert.equal((await client.describe('plain')).streaming, true);
  assert.equal((await client.describe('notStream')).streaming, false);
  for (const name of ['proxied', 'plain']) {
    const got: number[] = [];
    for await (const value of client.stream<number>(name, [3])) got.push(value);
    assert.deepEqual(got, [0, 1, 2], name);
  }
  assert.equal(await client.callFunction('notStream', [21]), 42);
});

test('a function whose source cannot be read (bound, Proxy) takes any positional arguments and refuses names, saying why', async (t) => {
  const dir = socketDir(t);
  function scale(n: number, factor = 2) {
    return n * factor;
  }
  async function* repeat(word: string, times = 1) {
    for (let i = 0; i < times; i++) yield word;
  }
  // Their length (1) counts only the parameters before the first default: enforcing it would refuse `factor`.
  const bound = LIPModule({ name: 'boundScale', socketDir: dir, logLevel: 'silent' })(scale.bind(null));
  const proxied = LIPModule({ name: 'proxiedRepeat', socketDir: dir, logLevel: 'silent' })(new Proxy(repeat, {}));
  for (const f of [bound, proxied]) {
    await f.init();
    t.after(() => f.exit());
  }
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());
  assert.equal(await client.callFunction('boundScale', [5, 3]), 15);
  assert.equal(await client.callFunction('boundScale', [5]), 10);
  const words: string[] = [];
  for await (const word of client.stream<string>('proxiedRepeat', ['hi', 2])) words.push(word);
  assert.deepEqual(words, ['hi', 'hi']);
  await assert.rejects(client.callFunction('boundScale', [], { n: 5 }), (error: Error) => {
    assert.ok(error instanceof LIPArgumentError);
    assert.match(error.message, /keyword argument 'n', but this function's parameter names can't be read .*pass its arguments positionally/);
    return true;
  });
  const { params, signature } = await client.describe('boundScale');
  assert.deepEqual(
    params.map((p) => [p.name, p.rest]),
    [['args', true]],
  );
  assert.equal(signature, 'boundScale(...args)');
});

test("a function's own Symbol.toStringTag does not change whether it streams", async (t) => {
  const dir = socketDir(t);
  async function* disguised(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  // Looks like a plain function: with lru on, its generator would be cached and every later caller
  // given the same, used-up iterator.
  Object.defineProperty(disguised, Symbol.toStringTag, { value: 'Function' });
  function pretender(n: number) {
    return n + 1;
  }
  Object.defineProperty(pretender, Symbol.toStringTag, { value: 'AsyncGeneratorFunction' });
  const a = LIPModule({ name: 'disguised', socketDir: dir, logLevel: 'silent', lru: true })(disguised);
  const b = LIPModule({ name: 'pretender', socketDir: dir, logLevel: 'silent' })(pretender);
  for (const f of [a, b]) {
    await f.init();
    t.after(() => f.exit());
  }
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());
  for (let round = 0; round < 2; round++) {
    const got: number[] = [];
    for await (const value of client.stream<number>('disguised', [3])) got.push(value);
    assert.deepEqual(got, [0, 1, 2], `round ${round}`);
  }
  assert.equal((await client.describe('disguised')).streaming, true);
  assert.equal((await client.describe('pretender')).streaming, false);
  assert.equal(await client.callFunction('pretender', [1]), 2);
});
