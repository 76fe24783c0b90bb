/**
 * Docstrings: the JSDoc above a function is found in TypeScript run through
 * tsx and in compiled JavaScript.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LIPClient } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { FIXTURES, ROOT } from './helpers/paths.js';
import { peakRssOf } from './helpers/process-memory.js';
import { socketDir } from './helpers/temp-dir.js';

const expected: Record<string, string | null> = {
  documentedAbove: 'Adds two numbers.\n\n@param a - the first\n@param b - the second',
  declaredFirst: 'Declared first, wrapped later.',
  bodyBlock: 'Like a Python docstring:\nthe first comment in the body.',
  bodyLines: 'Line comments work too,\njoined into one doc.',
  overridden: 'From the doc option.',
  multiLine: 'Above a call whose options span lines.',
  undocumented: null,
};

async function checkDocs(dir: string) {
  const client = new LIPClient({ socketDir: dir });
  try {
    for (const [name, doc] of Object.entries(expected)) {
      assert.equal(await client.getDocstring(name), doc, `docstring of ${name}`);
    }
    assert.equal((await client.describe('documentedAbove')).doc, expected.documentedAbove);
  } finally {
    client.destroy();
  }
}

test('docstrings are found in TypeScript run through the tsx loader', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'docs-module.ts', dir);
  await checkDocs(dir);
});

/** Serves a compiled module file in its own process and checks every docstring. */
async function checkServedFile(t: TestContext, file: string) {
  const dir = socketDir(t);
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, LIP_SOCKET_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
    child.once('exit', (code) => reject(new Error(`docs-module.js exited with ${code}`)));
  });
  await checkDocs(dir);
}

test('docstrings are found in compiled JavaScript', (t) => checkServedFile(t, join(FIXTURES, 'docs-module.js')));

test('docstrings are found in a package of served functions installed under node_modules', (t) => {
  // Before: every frame under node_modules was skipped as "not the author's", so a published package lost its docs.
  const pkg = join(socketDir(t), 'app', 'node_modules', 'documented-functions');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'documented-functions', type: 'module', main: 'index.js' }));
  const source = readFileSync(join(FIXTURES, 'docs-module.js'), 'utf8').replace("'../../dist/index.js'", JSON.stringify(join(ROOT, 'dist', 'index.js')));
  writeFileSync(join(pkg, 'index.js'), source);
  return checkServedFile(t, join(pkg, 'index.js'));
});

test('a source map comment naming /dev/zero or a FIFO is not read: the function is served, with no doc from it', async (t) => {
  // Before: init() read the map in its idle turn, without end from /dev/zero (the server grew until it
  // aborted) or blocking for good on a FIFO's open; before that change, the first call did the same.
  const dir = socketDir(t);
  const fifo = join(dir, 'map.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const file = join(dir, 'hostile-maps.mjs');
  writeFileSync(
    file,
    [
      `import { LIPModule } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};`,
      `const options = { logLevel: 'silent', socketDir: ${JSON.stringify(dir)} };`,
      'export const zero = LIPModule(options)(function zero(a, b) { return a + b; });',
      'export const pipe = LIPModule(options)(function pipe(a, b) { return a * b; });',
      'await zero.init();',
      'await pipe.init();',
      "process.stdout.write('READY\\n');",
      '//# sourceMappingURL=/dev/zero',
      `//# sourceMappingURL=${fifo}`,
      '',
    ].join('\n'),
  );
  const child = await startModule(t, file, ['--max-old-space-size=256']);
  const client = new LIPClient({ socketDir: dir, timeoutMs: 5000 });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('zero', [2, 3]), 5);
  assert.equal(await client.callFunction('pipe', [2, 3]), 6);
  assert.equal(await client.getDocstring('zero'), null);
  assert.equal(child.exitCode, null, 'the server is still running');
});

test('a source map in /proc that says its size is 0 and never ends is read only up to the cap: the server stays small and answers', async (t) => {
  // Before: the size check passed (procfs says 0) and /proc/self/pagemap was read to its end, hundreds of
  // GiB away: the server grew about 140 MiB/s in its idle turn and answered nothing.
  const dir = socketDir(t);
  const file = join(dir, 'proc-map.mjs');
  writeFileSync(
    file,
    [
      `import { LIPModule } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};`,
      `export const paged = LIPModule({ logLevel: 'silent', socketDir: ${JSON.stringify(dir)} })(function paged(a, b) { return a - b; });`,
      'await paged.init();',
      "process.stdout.write('READY\\n');",
      '//# sourceMappingURL=/proc/self/pagemap',
      '',
    ].join('\n'),
  );
  const child = await startModule(t, file);
  const client = new LIPClient({ socketDir: dir, timeoutMs: 30_000, connectTimeoutMs: 30_000 });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('paged', [5, 3]), 2);
  assert.equal(await client.getDocstring('paged'), null);
  const peak = peakRssOf(child.pid!);
  assert.ok(peak < 400 * 1024 * 1024, `peak RSS ${Math.round(peak / 1024 / 1024)} MiB: at most the 64 MiB cap was read`);
  assert.equal(child.exitCode, null, 'the server is still running');
});

/** Runs a module file that serves and prints READY; killed after the test. */
async function startModule(t: TestContext, file: string, nodeFlags: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeFlags, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('READY') && resolve());
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  return child;
}

test('the files read for docs are kept within a bound, however many paths name a large map', async (t) => {
  // Before: every path's text was kept for the life of the process, about 64 MiB per symlink to one map.
  const dir = socketDir(t);
  const padding = 'x'.repeat(60 * 1024 * 1024);
  writeFileSync(join(dir, 'big.map'), JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: '', sourcesContent: [padding] }));
  const count = 5;
  const lines = [`import { LIPModule } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};`];
  for (let i = 0; i < count; i++) {
    symlinkSync(join(dir, 'big.map'), join(dir, `s${i}.map`));
    writeFileSync(
      join(dir, `m${i}.mjs`),
      [
        `import { LIPModule } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};`,
        `export const f${i} = LIPModule({ logLevel: 'silent', socketDir: ${JSON.stringify(dir)} })(function f${i}(x) { return x + ${i}; });`,
        `//# sourceMappingURL=s${i}.map`,
        '',
      ].join('\n'),
    );
    lines.push(`const { f${i} } = await import('./m${i}.mjs');`, `await f${i}.init();`);
  }
  lines.push(
    `export const heap = LIPModule({ logLevel: 'silent', socketDir: ${JSON.stringify(dir)} })(function heap() { globalThis.gc(); return process.memoryUsage().heapUsed; });`,
    'await heap.init();',
    "process.stdout.write('READY\\n');",
    '',
  );
  const main = join(dir, 'many-maps.mjs');
  writeFileSync(main, lines.join('\n'));
  const child = await startModule(t, main, ['--expose-gc']);
  // Each map read blocks the server's loop for most of a second (more on a loaded machine): a first contact waits it out.
  const client = new LIPClient({ socketDir: dir, timeoutMs: 60_000, connectTimeoutMs: 60_000 });
  t.after(() => client.destroy());
  for (let i = 0; i < count; i++) {
    await client.describe(`f${i}`);
    assert.equal(await client.callFunction(`f${i}`, [1]), 1 + i);
  }
  const heapUsed = await client.callFunction<number>('heap');
  assert.ok(heapUsed < 250 * 1024 * 1024, `heap ${Math.round(heapUsed / 1024 / 1024)} MiB after reading ${count} paths to a 60 MiB map`);
  assert.equal(child.exitCode, null);
});
