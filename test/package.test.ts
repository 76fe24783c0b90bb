/**
 * The package as a new user gets it: a fresh `git clone` of the committed HEAD
 * (no dist/), `npm ci`, `npm pack`; the tarball installed into a new TypeScript
 * project, imported, type-checked, served and called, `npx lip` run; and the
 * same package installed from a git URL. One test: it takes a minute or two.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { watchOutput } from './helpers/child-output.js';
import { ROOT } from './helpers/paths.js';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'];
// Node >= 22.18 strips types from .ts files by itself; older Node needs a loader.
const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);

async function sh(file: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 32 * 1024 * 1024, timeout: 300_000 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

const npm = (args: string[], cwd: string) => sh('npm', [...args, ...NPM_FLAGS], cwd);

/** `npx lip serve <args>` in `app`, until it printed `lines` serving lines; then `work()`, then waits for it to exit. */
async function serving(app: string, args: string[], lines: number, work: () => Promise<void>): Promise<void> {
  const child = spawn('npx', ['--no', 'lip', 'serve', ...args, '--log-level', 'warning'], { cwd: app, env: { ...process.env, NO_COLOR: '1' } });
  const output = watchOutput(child, `npx lip serve ${args.join(' ')}`);
  try {
    await output.waitFor((out) => out.split('\n').filter((l) => l.startsWith('serving ')).length >= lines, 60_000);
    await work();
    // Stopped by work(): it exits on its own, in a bounded time.
    const ended = await Promise.race([output.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref())]);
    assert.equal(ended?.code, 0, `lip serve did not exit 0 after its functions were stopped: ${output.stderr()}`);
  } finally {
    child.kill('SIGKILL');
  }
}

test('a fresh clone packs a package that a new TypeScript project installs and uses, and a git URL installs too', { timeout: 600_000 }, async (t) => {
  const work = mkdtempSync('/tmp/lip-package-');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const sockets = join(work, 's');
  mkdirSync(sockets);

  // The committed HEAD, cloned as a user clones it: no dist/.
  const repo = join(work, 'repo');
  const head = (await sh('git', ['rev-parse', 'HEAD'], ROOT)).trim();
  await sh('git', ['clone', '-q', ROOT, repo], work);
  await sh('git', ['checkout', '-q', head], repo);
  assert.equal(existsSync(join(repo, 'dist')), false, 'dist/ is not committed');

  // From a git URL, npm clones, installs the dev dependencies and runs `prepare`: alongside the rest.
  const gitApp = join(work, 'git-app');
  mkdirSync(gitApp);
  writeFileSync(join(gitApp, 'package.json'), JSON.stringify({ name: 'git-app', private: true, type: 'module' }));
  const fromGit = npm(['install', `git+file://${repo}#${head}`], gitApp);
  fromGit.catch(() => {});

  // The benchmark peers' install scripts (zeromq) are not needed to pack; `prepare` builds dist/ at `npm pack`.
  await npm(['ci', '--ignore-scripts'], repo);
  await npm(['pack', '--pack-destination', work], repo);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');
  const files = (await sh('tar', ['tzf', join(work, tarball)], work)).split('\n').filter(Boolean);
  // What the README and docs link to is shipped with them.
  const linked = [
    'package/LICENSE',
    'package/examples/quickstart.ts',
    'package/bench/results/chart.svg',
    'package/bench/results/latest.json',
    'package/dist/cli/demo-functions.js',
  ];
  for (const file of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/cli/main.js', 'package/README.md', ...linked])
    assert.ok(files.includes(file), `${file} is shipped`);
  // src/ is not shipped: the only maps are the `lip` bundle's, which carry their sources' text.
  assert.deepEqual(
    files.filter((f) => f.startsWith('package/src/') || (f.endsWith('.map') && !f.startsWith('package/dist/cli/'))),
    [],
    'no maps pointing at sources that are not shipped',
  );
  assert.ok(files.includes('package/dist/cli/main.js.map'), 'the lip bundle has its map');
  const unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  await sh('tar', ['xzf', join(work, tarball), '-C', unpacked], work);
  for (const map of files.filter((f) => f.endsWith('.map'))) {
    const { sources, sourcesContent } = JSON.parse(readFileSync(join(unpacked, map), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    assert.equal(sourcesContent?.filter((text) => typeof text === 'string').length, sources.length, `${map} carries the text of its sources`);
  }

  // A new TypeScript project installs the tarball (tsx, an optional peer, is not pulled in).
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await npm(['install', join(work, tarball), '@types/node@20'], app);
  assert.equal(existsSync(join(app, 'node_modules', 'tsx')), false, 'tsx is not installed with the package');
  const native = (await sh(process.execPath, ['--input-type=module', '-e', "console.log((await import('cbor-x')).isNativeAccelerationEnabled)"], app)).trim();
  const size = (await sh('du', ['-sk', '--exclude=@types', join(app, 'node_modules')], app)).split('\t')[0];
  t.diagnostic(`installed: ${(Number(size) / 1024) | 0} MiB of node_modules without @types; cbor-x native acceleration (cbor-extract): ${native}`);

  // The README's example type-checks against the shipped types (skipLibCheck off), compiles and runs.
  writeFileSync(join(app, 'example.ts'), readFileSync(join(ROOT, 'examples', 'quickstart.ts'), 'utf8'));
  writeFileSync(
    join(app, 'math.ts'),
    "import { LIPModule } from 'lipmodule';\n\n/** Adds two numbers. */\nexport const add = LIPModule()(function add(a: number, b: number): number {\n  return a + b;\n});\n",
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        outDir: 'out',
        sourceMap: true,
        types: ['node'],
        skipLibCheck: false,
      },
      files: ['example.ts', 'math.ts'],
    }),
  );
  await sh(process.execPath, [TSC, '-p', app], app);
  const example = await sh(process.execPath, [join(app, 'out', 'example.js')], app, { LIP_SOCKET_DIR: sockets });
  assert.equal(example, "5\n[ 'add' ]\nAdds two numbers.\n5\n42\n");

  // A CommonJS project (what `npm init -y` makes) requires the package: tsc emits require('lipmodule'), Node loads the ES module.
  const cjs = join(app, 'cjs');
  mkdirSync(cjs);
  writeFileSync(join(cjs, 'package.json'), JSON.stringify({ name: 'cjs-app', version: '1.0.0', type: 'commonjs' }));
  writeFileSync(
    join(cjs, 'sum.ts'),
    "import { LIPClient, LIPModule } from 'lipmodule';\n\n/** Adds two numbers. */\nexport const sum = LIPModule({ logLevel: 'warning' })(function sum(a: number, b: number): number {\n  return a + b;\n});\n\n" +
      "async function main(): Promise<void> {\n  await sum.init();\n  const client = new LIPClient();\n  console.log(await client.callFunction('sum', [2, 3]));\n  await client.close();\n  await sum.exit();\n}\n\n" +
      'if (require.main === module) void main();\n',
  );
  writeFileSync(
    join(cjs, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        outDir: 'out',
        types: ['node'],
        skipLibCheck: false,
      },
      files: ['sum.ts'],
    }),
  );
  await sh(process.execPath, [TSC, '-p', cjs], cjs);
  assert.match(readFileSync(join(cjs, 'out', 'sum.js'), 'utf8'), /require\("lipmodule"\)/, 'compiled to CommonJS');
  assert.equal(await sh(process.execPath, [join(cjs, 'out', 'sum.js')], cjs, { LIP_SOCKET_DIR: sockets }), '5\n');

  // npx lip: the installed bin, serving compiled JavaScript (types shown from the TypeScript its map names) and called.
  assert.match((await sh('npx', ['--no', 'lip', '--version'], app)).trim(), /^\d+\.\d+\.\d+/);
  const call = async (...args: string[]) => (await sh('npx', ['--no', 'lip', ...args, '--socket-dir', sockets], app)).trim();
  await serving(app, ['out/math.js', '--socket-dir', sockets], 1, async () => {
    assert.equal(await call('call', 'add', '2', '3'), '5');
    assert.match(await call('doc', 'add'), /a: number/);
    await call('stop', 'add');
  });
  await serving(app, ['cjs/out/sum.js', '--socket-dir', sockets], 1, async () => {
    assert.equal(await call('call', 'sum', '2', '40'), '42');
    await call('stop', 'sum');
  });

  // A .ts file without tsx: Node's own type stripping where it has it (not for decorators); else a message that says what to install.
  writeFileSync(
    join(app, 'shapes.ts'),
    "import { LIPModule } from 'lipmodule';\n\nclass Shapes {\n  /** Area of a rectangle. */\n  @LIPModule()\n  area(w: number, h: number): number {\n    return w * h;\n  }\n}\n\nexport const shapes = new Shapes();\n",
  );
  if (nodeStripsTypes) {
    await serving(app, ['math.ts', '--socket-dir', sockets], 1, async () => {
      assert.equal(await call('call', 'add', '20', '22'), '42');
      await call('stop', 'add');
    });
    await assert.rejects(
      sh('npx', ['--no', 'lip', 'serve', 'shapes.ts', '--socket-dir', sockets], app),
      /decorators \(@LIPModule on methods\).* need a loader: npm install --save-dev tsx/,
    );
  } else {
    await assert.rejects(
      sh('npx', ['--no', 'lip', 'serve', 'math.ts', '--socket-dir', sockets], app),
      /needs the tsx loader, which is not installed: npm install --save-dev tsx/,
    );
  }

  // With tsx installed, any TypeScript: decorators too.
  await npm(['install', '--save-dev', 'tsx'], app);
  await serving(app, ['shapes.ts', 'math.ts', '--socket-dir', sockets], 2, async () => {
    assert.equal(await call('call', 'area', '3', '4'), '12');
    await call('stop', '--all');
  });
  // TypeScript in the CommonJS project: tsx compiles it to CommonJS, required (on Node 20 that needs tsx's require hook).
  await serving(app, ['cjs/sum.ts', '--socket-dir', sockets], 1, async () => {
    assert.equal(await call('call', 'sum', '1', '2'), '3');
    await call('stop', 'sum');
  });

  // The git URL install built its own dist/ and works the same.
  await fromGit;
  assert.ok(existsSync(join(gitApp, 'node_modules', 'lipmodule', 'dist', 'index.js')), 'installed from git with dist/');
  const imported = await sh(
    process.execPath,
    ['--input-type=module', '-e', "const m = await import('lipmodule'); console.log(typeof m.LIPModule, typeof m.LIPClient)"],
    gitApp,
  );
  assert.equal(imported.trim(), 'function function');
  assert.match((await sh('npx', ['--no', 'lip', '--version'], gitApp)).trim(), /^\d+\.\d+\.\d+/);
});
