/**
 * `lip serve` logs for a person on a terminal (a real pty from script(1)):
 * readable lines, each function announced once, a function's error as a
 * warning with its name, code and message (its stack only at debug); JSON when
 * piped or with --log-format json.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { watchOutput } from './helpers/child-output.js';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, lip, LIP, serve } from './helpers/lip-cli.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `lip serve <args>` inside a pty; call add and fail, stop both; resolves with all the terminal showed. */
async function serveOnTerminal(t: TestContext, args: string[]): Promise<string> {
  const dir = socketDir(t);
  const command = [process.execPath, LIP, 'serve', fixture('cli-math.ts'), '--only', 'add,fail', '--socket-dir', dir, ...args].map(quote).join(' ');
  // NO_COLOR keeps the assertions simple; colour on a pty is tested in cli-usage.test.ts.
  const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const output = watchOutput(child, 'lip serve in a pty');
  await output.waitFor((out) => out.includes('serving add') && out.includes('serving fail'));
  assert.equal((await lip(['call', 'add', '1', '2'], dir)).code, 0);
  assert.equal((await lip(['call', 'fail', 'x'], dir)).code, 1);
  for (const name of ['add', 'fail']) assert.equal((await lip(['stop', name], dir)).code, 0);
  const { code } = await output.closed;
  assert.equal(code, 0, output.stdout());
  return output.stdout().replace(/\r\n/g, '\n');
}

test('lip serve on a terminal: readable logs, one announcement per function, errors as warnings', { skip: !hasScript && 'no script(1) here' }, async (t) => {
  await t.test('by default: pretty lines, no JSON, each function announced once', async (t) => {
    const screen = await serveOnTerminal(t, []);
    assert.doesNotMatch(screen, /^\{"level"/m, 'no raw pino JSON on the terminal');
    assert.equal(screen.match(/serving.*\badd\b/g)?.length, 1, screen);
    assert.equal(screen.match(/serving.*\bfail\b/g)?.length, 1, screen);
    assert.match(
      screen,
      /^\d\d:\d\d:\d\d\.\d{3} WARNING fail: 'fail' failed {2}RangeError: x is out of range \(code E_RANGE\) {2}callId=\S+ ms=[\d.]+ outcome=error$/m,
    );
    assert.doesNotMatch(screen, /^\s+at /m, 'no stack above debug');
  });

  await t.test('at debug the stack follows the warning', async (t) => {
    const screen = await serveOnTerminal(t, ['--log-level', 'debug']);
    assert.match(screen, /WARNING fail: 'fail' failed {2}RangeError: x is out of range.*\n {4}at .*cli-math\.ts/);
    assert.match(screen, /DEBUG {3}add: call 'add' {2}callId=\S+ ms=\d+(\.\d\d?)? outcome=ok$/m);
  });

  await t.test('--log-format json keeps pino JSON on a terminal', async (t) => {
    const screen = await serveOnTerminal(t, ['--log-format', 'json']);
    const records = screen
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown });
    const failure = records.find((r) => r.msg === "'fail' failed");
    assert.equal(failure?.level, 40);
    assert.deepEqual(failure?.err, { name: 'RangeError', message: 'x is out of range', code: 'E_RANGE' });
  });
});

test('lip serve through a pipe logs JSON lines', async (t) => {
  const dir = socketDir(t);
  const server = await serve(t, [fixture('cli-math.ts'), '--only', 'fail'], dir, 1);
  assert.equal((await lip(['call', 'fail', 'x'], dir)).code, 1);
  await watchOutputUntil(() => server.stderr().includes("'fail' failed"));
  const records = server
    .stderr()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; level: number });
  assert.ok(records.some((r) => r.msg === "'fail' failed" && r.level === 40));
  assert.ok(
    records.some((r) => r.msg === "serving 'fail'"),
    'the serving record is kept in JSON logs',
  );
});

async function watchOutputUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
