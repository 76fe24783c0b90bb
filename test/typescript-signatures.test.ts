/**
 * What a TypeScript author wrote reaches callers: a `?` parameter is optional
 * remotely too, and describe / lip doc show types, defaults and the return type,
 * whether the module is served as .ts or compiled to .js with a source map.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LIPArgumentError, LIPClient } from '../src/index.js';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';
import { lip, serve } from './helpers/lip-cli.js';

const SOURCE = (dist: string) => `import { LIPModule } from ${JSON.stringify(dist)};

type Role = 'member' | 'admin';

/** Greets someone by name. */
export const greet = LIPModule()(function greet(name: string, title?: string, role: Role = 'member'): string {
  return [title, name, \`(\${role})\`].filter(Boolean).join(' ');
});

/** Counts up, a stream. */
export const count = LIPModule()(async function* count(to: number, step = 1): AsyncGenerator<number> {
  for (let i = 0; i < to; i += step) yield i;
});

/** Takes a map of scores. */
export const best = LIPModule({ name: 'best' })((scores: Record<string, number>, fallback?: string): string | undefined =>
  Object.entries(scores).sort((a, b) => b[1] - a[1])[0]?.[0] ?? fallback,
);
`;

/** A project dir with greet.ts (and a package.json for ESM). */
function project(t: TestContext): string {
  const work = socketDir(t);
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(work, 'greet.ts'), SOURCE(join(ROOT, 'dist', 'index.js')));
  return work;
}

async function checkServed(dir: string): Promise<void> {
  const client = new LIPClient({ socketDir: dir });
  try {
    type Greet = (name: string, title?: string, role?: 'member' | 'admin') => string;
    assert.equal(await client.bind<Greet>('greet')('Ann'), 'Ann (member)', 'the ? parameter may be left out remotely');
    assert.equal(await client.callFunction('greet', ['Ann'], { role: 'admin' }), 'Ann (admin)');
    assert.equal(await client.callFunction('best', [{ a: 1, b: 3 }]), 'b');
    await assert.rejects(client.callFunction('greet', []), (e: unknown) => e instanceof LIPArgumentError && /missing .*'name'/.test(e.message));

    const info = await client.describe('greet');
    assert.deepEqual(info.params, [
      { name: 'name', optional: false, rest: false, type: 'string' },
      { name: 'title', optional: true, rest: false, type: 'string' },
      { name: 'role', optional: true, rest: false, type: 'Role', default: "'member'" },
    ]);
    assert.equal(info.signature, 'greet(name, title?, role?)');
    assert.equal(info.returns, 'string');
    const counted = await client.describe('count');
    assert.deepEqual(counted.params[1], { name: 'step', optional: true, rest: false, default: '1' });
    assert.equal(counted.returns, 'AsyncGenerator<number>');
    const arrow = await client.describe('best');
    assert.deepEqual(
      arrow.params.map((p) => [p.name, p.type, p.optional]),
      [
        ['scores', 'Record<string, number>', false],
        ['fallback', 'string', true],
      ],
    );
    assert.equal(arrow.returns, 'string | undefined');
  } finally {
    client.destroy();
  }

  const doc = await lip(['doc', 'greet'], dir);
  assert.equal(doc.code, 0, doc.stderr);
  assert.match(doc.stdout, /^greet\(name, title\?, role\?\)$/m);
  assert.match(doc.stdout, /^ {2}name: string$/m);
  assert.match(doc.stdout, /^ {2}title: string {2}\(optional\)$/m);
  assert.match(doc.stdout, /^ {2}role: Role {2}\(optional, default 'member'\)$/m);
  assert.match(doc.stdout, /^Returns {2}string, one value$/m);
}

test('lip serve of a .ts file: ? parameters are optional, and types, defaults and return types are shown', async (t) => {
  const work = project(t);
  await serve(t, [join(work, 'greet.ts'), '--log-level', 'silent'], work, 3);
  await checkServed(work);
});

test('compiled .js with a source map: the same, read from the TypeScript the map names', async (t) => {
  const work = project(t);
  mkdirSync(join(work, 'out'));
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        sourceMap: true,
        outDir: 'out',
        types: [],
      },
      files: ['greet.ts'],
    }),
  );
  const compiled = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', work], { encoding: 'utf8' });
  assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);
  await serve(t, [join(work, 'out', 'greet.js'), '--log-level', 'silent'], work, 3);
  await checkServed(work);
});

test('plain JavaScript: defaults are shown, and nothing is made up', async (t) => {
  const work = socketDir(t);
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(work, 'greet.js'),
    `import { LIPModule } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};\nexport const greet = LIPModule()(function greet(name, role = 'member') { return name + role; });\n`,
  );
  await serve(t, [join(work, 'greet.js'), '--log-level', 'silent'], work, 1);
  const client = new LIPClient({ socketDir: work });
  t.after(() => client.destroy());
  const info = await client.describe('greet');
  assert.deepEqual(info.params, [
    { name: 'name', optional: false, rest: false },
    { name: 'role', optional: true, rest: false, default: "'member'" },
  ]);
  assert.equal(info.returns, undefined);
});
