/**
 * The standard @LIPModule decorator on class methods: served from a child
 * process with `this` bound, keyword arguments, cache and docstrings;
 * instances and their names; and `lip serve` of an exported instance.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient, LIPModule } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';

test('@LIPModule on class methods, served from a child process', async (t) => {
  const { dir, server, client } = await serveFixture(t, 'decorated-server.ts');

  await t.test('serves each decorated method under its name or the name option', async () => {
    assert.deepEqual(await client.listFunctions(), ['geometry.area', 'norm', 'runs']);
  });

  await t.test('calls run with `this` bound to the instance', async () => {
    assert.equal(await client.callFunction('norm', [6, 8]), '10 m');
    assert.equal(await client.callFunction('geometry.area', [3, 4]), 12);
  });

  await t.test("keyword arguments and defaults bind by the method's parameter names", async () => {
    assert.equal(await client.callFunction('geometry.area', [], { w: 5, h: 2 }), 10);
    assert.equal(await client.callFunction('geometry.area', [7]), 7);
  });

  await t.test('the cache serves remote and local calls alike', async () => {
    // The fixture called norm(3, 4) locally once; the remote call hits that entry.
    assert.equal(await client.callFunction('norm', [], { x: 3, y: 4 }), '5 m');
    assert.equal(await client.callFunction('runs'), 2); // (3,4) locally + (6,8) remotely
    assert.equal((await client.stats('norm')).cache.hits, 1);
  });

  await t.test('the JSDoc above the method is its docstring', async () => {
    assert.equal(await client.getDocstring('norm'), 'Length of a vector, in metres.');
    assert.equal(await client.getDocstring('geometry.area'), null);
  });

  await t.test('a second instance with the same names is refused with a clear error', () => {
    assert.match(server.output(), /CLASH: .*'norm' is already served by another function in this process/);
    assert.match(server.output(), /LOCAL: 5 m runs=1/);
  });

  await t.test('LIPModule.exit(instance) stops every method and removes the sockets', async () => {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    for (const name of ['norm', 'geometry.area', 'runs']) assert.equal(existsSync(join(dir, `lipcm-${name}.sock`)), false);
  });
});

test('methods stay ordinary methods until served; init() needs decorated methods', async () => {
  process.env.SERVE_ON_IMPORT = '0';
  const { Geometry } = await import('./fixtures/decorated-server.js');
  delete process.env.SERVE_ON_IMPORT;
  const g = new Geometry('cm');
  assert.equal(g.norm(3, 4), '5 cm');
  assert.equal(g.norm(3, 4), '5 cm');
  assert.equal(g.normRuns, 1, 'the cache applies to local calls too');
  assert.equal(g.area(2, 3), 6);
  await assert.rejects(LIPModule.init({}), /no @LIPModule methods/);
});

test('two instances can be served side by side under distinct names', async (t) => {
  const dir = socketDir(t);
  class Counter {
    constructor(private readonly start: number) {}
    @LIPModule({ logLevel: 'silent', socketDir: dir, name: 'first.value' })
    first() {
      return this.start;
    }
  }
  class Other {
    constructor(private readonly start: number) {}
    @LIPModule({ logLevel: 'silent', socketDir: dir, name: 'second.value' })
    second() {
      return this.start;
    }
  }
  const a = new Counter(1);
  const b = new Other(2);
  await LIPModule.init(a);
  await LIPModule.init(b);
  t.after(async () => {
    await LIPModule.exit(a);
    await LIPModule.exit(b);
  });
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('first.value'), 1);
  assert.equal(await client.callFunction('second.value'), 2);
});

test('lip serve serves an exported instance from a .ts file, even one built with another copy of the package', async (t) => {
  const { serve } = await import('./helpers/lip-cli.js');
  const { FIXTURES } = await import('./helpers/paths.js');
  const dir = socketDir(t);
  // decorated-server.ts imports ../../src (through tsx) while `lip` runs from dist: two copies.
  process.env.SERVE_ON_IMPORT = '0';
  t.after(() => delete process.env.SERVE_ON_IMPORT);
  const served = await serve(t, [join(FIXTURES, 'decorated-server.ts')], dir, 3);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.deepEqual(await client.listFunctions(), ['geometry.area', 'norm', 'runs']);
  assert.equal(await client.callFunction('norm', [3, 4]), '5 m');
  assert.equal(await client.callFunction('norm', [3, 4]), '5 m');
  assert.equal(await client.callFunction('runs'), 1, '`this` is the exported instance, and the cache works');
  assert.equal(await client.getDocstring('norm'), 'Length of a vector, in metres.');
  served.child.kill('SIGTERM');
  assert.equal((await served.exited).code, 0);
});
