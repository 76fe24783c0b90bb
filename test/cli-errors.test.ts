/**
 * Every error code has its documented exit status; `--json` prints errors as
 * JSON on stderr; and the messages say what to do (a close name, the deadline,
 * the option that limits frames, a missing directory, decorator mistakes).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.js';
import { ErrorCode } from '../src/errors.js';
import { watchOutput } from './helpers/child-output.js';
import { FIXTURES, ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, lip, serve, spawnLip, type Result } from './helpers/lip-cli.js';

type ErrorJson = { error: { code: string; name: string; message: string; remote: { name: string; message: string; code?: string } | null } };

function jsonError(result: Result): ErrorJson['error'] {
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  return (JSON.parse(lines[0]!) as ErrorJson).error;
}

async function startBadServer(t: TestContext, path: string, mode: 'garbage' | 'huge'): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'bad-server.ts'), path, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  await watchOutput(child, 'bad server').waitFor('READY');
}

test('every error code the library raises has a documented exit status, and the README lists it', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const cliDoc = readFileSync(join(ROOT, 'docs/CLI.md'), 'utf8');
  for (const code of Object.values(ErrorCode)) {
    assert.ok(code in EXIT_CODE_BY_ERROR, `${code} has an exit status`);
    assert.ok(new RegExp(`^\\|.*\`${code}\``, 'm').test(readme), `README's error table lists ${code}`);
    const status = EXIT_CODE_BY_ERROR[code];
    assert.ok(new RegExp(`^\\| ${status} \\|.*\`${code}\``, 'm').test(cliDoc), `docs/CLI.md gives ${code} status ${status}`);
  }
});

test('lip call: exit statuses and --json errors, against real servers', async (t) => {
  const dir = socketDir(t);
  await serve(t, [fixture('cli-values.ts'), fixture('cli-math.ts'), '--only', 'gate,tiny,createUser,fail,add,sleep', '--log-level', 'silent'], dir, 6);

  await t.test('the function raised: 1, with the remote error in JSON', async () => {
    const result = await lip(['call', 'fail', 'x', '--json'], dir);
    assert.equal(result.code, 1);
    const error = jsonError(result);
    assert.equal(error.code, 'ERR_LIP_REMOTE');
    assert.equal(error.name, 'LIPRemoteError');
    assert.deepEqual(error.remote, { name: 'RangeError', message: 'x is out of range', code: 'E_RANGE' });
  });

  await t.test('busy: 1', async () => {
    const startSlow = () => {
      const child = spawnLip(['call', 'gate', '12000'], dir);
      return { child, done: new Promise<number | null>((resolve) => child.once('close', resolve)) };
    };
    let slow = startSlow();
    let busy: Result | undefined;
    // Until the slow call holds the one slot (bounded: the slow call lasts 12 s, long enough for a lip process to start on a busy machine).
    for (let i = 0; i < 50 && busy?.code !== 1; i++) {
      // The slow call arrived while a quick one held the slot: it was refused itself, so it is sent again.
      if (slow.child.exitCode !== null) slow = startSlow();
      busy = await lip(['call', 'gate', '0', '--json'], dir);
    }
    assert.equal(busy?.code, 1, busy?.stderr);
    assert.equal(jsonError(busy!).code, 'ERR_LIP_BUSY');
    assert.equal(await slow.done, 0);
  });

  await t.test('arguments refused and socket paths too long: 2', async () => {
    const missing = await lip(['call', 'add', '1', '--json'], dir);
    assert.equal(missing.code, 2);
    assert.equal(jsonError(missing).code, 'ERR_LIP_ARGUMENT');
    // After `--`, --json is an argument (a third one here): the error is said in plain text, not JSON.
    const afterDashes = await lip(['call', 'add', '--', '1', '2', '--json'], dir);
    assert.equal(afterDashes.code, 2);
    assert.match(afterDashes.stderr, /too many positional arguments: takes 2, got 3/);
    assert.throws(() => JSON.parse(afterDashes.stderr));
    const long = await lip(['call', 'x'.repeat(120)], dir);
    assert.equal(long.code, 2, long.stderr);
    assert.match(long.stderr, /ERR_LIP_SOCKET_PATH/);
  });

  await t.test('not found: 3, suggesting a close name', async () => {
    const result = await lip(['call', 'createuser', 'ann'], dir);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /Function 'createuser' not found in .*; did you mean 'createUser'\?/);
    const far = await lip(['call', 'zzzzzz', '--json'], dir);
    assert.equal(far.code, 3);
    assert.equal(jsonError(far).code, 'ERR_LIP_NOT_FOUND');
    assert.doesNotMatch(far.stderr, /did you mean/);
  });

  await t.test('nobody answers on the socket: 3', async () => {
    const stale = join(dir, 'lipcm-ghost.sock');
    spawnSync(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.ok(existsSync(stale));
    const result = await lip(['call', 'ghost', '--json'], dir);
    assert.equal(result.code, 3);
    assert.equal(jsonError(result).code, 'ERR_LIP_CONNECTION');
  });

  await t.test('timeout: 4, saying the deadline', async () => {
    const result = await lip(['call', 'sleep', '2000', 'x', '--timeout', '300', '--json'], dir);
    assert.equal(result.code, 4);
    const error = jsonError(result);
    assert.equal(error.code, 'ERR_LIP_TIMEOUT');
    assert.match(error.message, /'sleep' did not answer within its deadline of 300 ms/);
  });

  await t.test('a request over the server maxFrameBytes: 5, naming the option', async () => {
    const result = await lip(['call', 'tiny', 'x'.repeat(2000)], dir);
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stderr, /exceeds the limit of 1024 bytes \(the maxFrameBytes option\)/);
  });

  await t.test('a server that answers garbage: 5; a reply over our maxFrameBytes: 5', async () => {
    await startBadServer(t, join(dir, 'lipcm-garbage.sock'), 'garbage');
    const garbage = await lip(['call', 'garbage', '--json'], dir);
    assert.equal(garbage.code, 5, garbage.stderr);
    assert.equal(jsonError(garbage).code, 'ERR_LIP_PROTOCOL');
    await startBadServer(t, join(dir, 'lipcm-huge.sock'), 'huge');
    const huge = await lip(['call', 'huge'], dir);
    assert.equal(huge.code, 5, huge.stderr);
    assert.match(huge.stderr, /exceeds the limit of 16777216 bytes \(the maxFrameBytes option\)/);
  });
});

test('lip ls and lip stats on a directory that does not exist say so and exit 3', async () => {
  for (const command of [['ls'], ['stats'], ['ls', '--json']]) {
    const result = await lip([...command, '--socket-dir', '/tmp/lip-no-such-dir'], undefined);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /the socket directory \/tmp\/lip-no-such-dir does not exist/);
  }
});

test('lip serve explains decorator mistakes: experimentalDecorators, and a class exported without an instance', async (t) => {
  const work = socketDir(t);
  const dist = JSON.stringify(join(ROOT, 'dist', 'index.js'));
  writeFileSync(
    join(work, 'shapes.ts'),
    `import { LIPModule } from ${dist};\nexport class Shapes {\n  @LIPModule()\n  area(w: number, h: number) { return w * h; }\n}\n`,
  );
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
  // tsx reads the tsconfig.json of the working directory, as it would in the user's project.
  const serveThere = () =>
    new Promise<Result>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'serve', 'shapes.ts', '--socket-dir', work], {
        cwd: work,
        env: { ...process.env, NO_COLOR: '1' },
      });
      const output = watchOutput(child, 'lip serve');
      void output.closed.then(({ code, signal }) => resolve({ code, signal, stdout: output.stdout(), stderr: output.stderr() }));
    });

  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions: { experimentalDecorators: true } }));
  const legacy = await serveThere();
  assert.equal(legacy.code, 1, legacy.stderr);
  assert.match(legacy.stderr, /legacy decorator.*remove "experimentalDecorators": true from your tsconfig\.json/);

  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions: {} }));
  const classOnly = await serveThere();
  assert.equal(classOnly.code, 2, classOnly.stderr);
  assert.match(classOnly.stderr, /hint: export 'Shapes' is a class with @LIPModule methods \(area\).*export const shapes = new Shapes\(\);/);
});

test('lip serve of an ES module file in a CommonJS project hints at "type": "module", not at tsx', async (t) => {
  const dir = socketDir(t);
  // What `npm init -y` writes: "type": "commonjs"; the file uses import statements.
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'commonjs' }));
  const source = "import { LIPModule } from 'lipmodule';\n\nexport const add = LIPModule()(function add(a, b) {\n  return a + b;\n});\n";
  writeFileSync(join(dir, 'add.js'), source);
  const result = await lip(['serve', join(dir, 'add.js')], dir);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /Cannot use import statement outside a module/);
  assert.match(result.stderr, /hint: .*"type": "module".*package\.json/);
  assert.doesNotMatch(result.stderr, /tsx/);
});
