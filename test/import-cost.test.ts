/**
 * What loading costs: `lip call` (and every command but serve) loads only the client side, and
 * importing the package loads no NATS until the `nats` option is used. Checked by the packages Node
 * actually resolves (a resolve hook in the child process), never by timing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test, type TestContext } from 'node:test';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

/** The node_modules packages a child `node <args>` resolves, with a resolve hook that reports each. */
function packagesLoaded(t: TestContext, args: string[]): Set<string> {
  const dir = socketDir(t);
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, "export async function resolve(s, c, next) { const r = await next(s, c); process._rawDebug('RESOLVED ' + r.url); return r; }\n");
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const child = spawnSync(process.execPath, ['--import', register, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LIP_SOCKET_DIR: dir } });
  const packages = new Set<string>();
  for (const [, name] of child.stderr.matchAll(/^RESOLVED file:\/\/.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) packages.add(name!);
  assert.match(child.stderr, /RESOLVED /, 'the hook reported');
  return packages;
}

test('lip call loads the client side only: no pino, acorn, lru-cache or nats', (t) => {
  const loaded = packagesLoaded(t, [join(ROOT, 'dist', 'cli', 'main.js'), 'call', 'nothing']);
  // @opentelemetry/api: every client call asks whether an SDK is registered (issue 16); no SDK is ever loaded.
  assert.deepEqual([...loaded].sort(), ['@opentelemetry/api', 'cbor-x', 'commander']);
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
  const loaded = packagesLoaded(t, ['--input-type=module', '-e', script]);
  assert.ok(loaded.has('cbor-x') && loaded.has('pino'), [...loaded].join(', '));
  assert.equal(
    [...loaded].some((name) => name === 'nats' || name.startsWith('@nats-io/')),
    false,
    [...loaded].join(', '),
  );
});
