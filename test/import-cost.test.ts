/**
 * What loading costs: `lip call` (and every command but serve) loads only the client side, and
 * importing the package loads no NATS until the `nats` option is used. Checked by the files Node
 * actually resolves (a resolve hook in the child process), never by timing; the `lip` command is a
 * bundle, so for a file of ours the modules inside it are read from its source map.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test, type TestContext } from 'node:test';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

/** The files a child `node <args>` resolves, with a resolve hook that reports each. */
function filesLoaded(t: TestContext, args: string[]): string[] {
  const dir = socketDir(t);
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, "export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('RESOLVED ' + r.url); return r; }\n");
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const child = spawnSync(process.execPath, ['--import', register, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LIP_SOCKET_DIR: dir } });
  assert.match(child.stderr, /RESOLVED /, 'the hook reported');
  return [...child.stderr.matchAll(/^RESOLVED (file:\/\/\S+)/gm)].map(([, url]) => fileURLToPath(url!));
}

/** The modules behind the files: a bundle's are the sources its map names; a file without a map is itself. */
function modulesIn(files: string[]): string[] {
  return files.flatMap((file) => {
    if (!existsSync(`${file}.map`)) return [file];
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[]; sourceRoot?: string };
    return map.sources.map((source) => resolve(dirname(file), map.sourceRoot ?? '', source));
  });
}

function packagesOf(modules: string[]): Set<string> {
  const packages = new Set<string>();
  for (const module of modules) {
    const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(module)?.[1];
    if (name) packages.add(name);
  }
  return packages;
}

test('lip call loads the client side only: no pino, acorn, lru-cache or nats, not the barrel, not the serving side', (t) => {
  const modules = modulesIn(filesLoaded(t, [join(ROOT, 'dist', 'cli', 'main.js'), 'call', 'nothing']));
  // @opentelemetry/api: every client call asks whether an SDK is registered (issue 16); no SDK is ever loaded.
  assert.deepEqual([...packagesOf(modules)].sort(), ['@opentelemetry/api', 'cbor-x', 'commander']);
  const ours = modules.filter((m) => m.startsWith(join(ROOT, 'src'))).map((m) => relative(join(ROOT, 'src'), m));
  assert.ok(ours.includes('cli/commands/call.ts') && ours.includes('client/lip-client.ts'), `the maps name the sources: ${ours.join(', ')}`);
  const serving = ours.filter((m) =>
    /^(index|module)\.ts$|^(server|function|cli\/serve\/run-serve|cli\/up\/run-up)\b|^nats\/serve|^telemetry\/prometheus|^log\/logger/.test(m),
  );
  assert.deepEqual(serving, [], 'what lip call loads holds none of the serving side');
});

test('importing the package loads no NATS; serving and calling without the nats option neither', (t) => {
  const script = `
    import { LIPClient, LIPModule } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)};
    const echo = LIPModule({ logLevel: 'silent' })(function echo(x) { return x; });
    await echo.init();
    const client = new LIPClient();
    if ((await client.callFunction('echo', [7])) !== 7) throw new Error('wrong answer');
    await client.close();
    await echo.exit();`;
  const loaded = packagesOf(modulesIn(filesLoaded(t, ['--input-type=module', '-e', script])));
  assert.ok(loaded.has('cbor-x') && loaded.has('pino'), [...loaded].join(', '));
  assert.equal(
    [...loaded].some((name) => name === 'nats' || name.startsWith('@nats-io/')),
    false,
    [...loaded].join(', '),
  );
});
