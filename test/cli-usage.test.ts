/**
 * `lip` usage: help with an example for every command, --version, usage
 * errors (exit 2), and `lip serve` refusing what it cannot serve.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { colourEnabled } from '../src/cli/style.js';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, LIP, lip, serve } from './helpers/lip-cli.js';

const hasScript = spawnSync('script', ['--version']).status === 0;

const COMMANDS = ['serve', 'ls', 'doc', 'call', 'stats', 'ping', 'stop', 'demo'];

test('every command has --help with an example', async () => {
  const results = await Promise.all(COMMANDS.map((c) => lip([c, '--help'])));
  for (const [i, result] of results.entries()) {
    const command = COMMANDS[i]!;
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^Usage: lip ${command}`), command);
    assert.match(result.stdout, /^Examples?:$/m, `${command} --help shows an example`);
    assert.match(result.stdout, new RegExp(`^  \\$ lip ${command}`, 'm'), command);
    if (command !== 'demo') assert.match(result.stdout, /--socket-dir <dir>/, `${command} takes --socket-dir`);
  }
  const top = await lip(['--help']);
  assert.equal(top.code, 0);
  for (const command of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${command} `, 'm'));
  assert.match(top.stdout, /Exit status: 0 ok, 1 the function raised, 2 usage error, 3 not found or not reachable, 4 timeout/);
});

test('lip --help lists every exit status that docs/CLI.md and the code have', async () => {
  const top = await lip(['--help']);
  const line = /^Exit status: (.*(?:\n {2,}.*)*)/m.exec(top.stdout)?.[1] ?? '';
  const listed = [...line.matchAll(/(?:^|,\s+)(\d+) /g)].map((m) => Number(m[1]));
  const documented = [...readFileSync(join(ROOT, 'docs', 'CLI.md'), 'utf8').matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
  const { ExitCode } = await import('../src/cli/exit-codes.js');
  assert.deepEqual(listed, documented, top.stdout);
  assert.deepEqual(listed, Object.values(ExitCode));
});

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const result = await lip(['--version']);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), version);
});

test('usage errors exit 2 with one clear line', async () => {
  for (const args of [['bogus'], ['call'], ['ping', 'add', '--count', 'zero'], ['serve', 'x.ts', '--log-level', 'loud'], ['ls', '--nope']]) {
    const result = await lip(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^lip: error: /, args.join(' '));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('lip serve refuses, with a clear message and status, what it cannot serve', async (t) => {
  const dir = socketDir(t);
  const cases: [string[], number, RegExp][] = [
    [[fixture('cli-broken.js')], 1, /could not load .*cli-broken\.js: this module is broken on purpose/],
    [[join(dir, 'missing.ts')], 2, /no such file: .*missing\.ts/],
    [[fixture('cli-nothing.js')], 2, /nothing to serve in .*cli-nothing\.js/],
    [[fixture('cli-math.ts'), fixture('cli-duplicate.js')], 1, /two functions are named 'add'/],
    [[fixture('cli-text.js'), '--only', 'nope'], 2, /--only: nope not found; the files export echo, shout/],
  ];
  const results = await Promise.all(cases.map(([args]) => lip(['serve', ...args], dir)));
  for (const [i, result] of results.entries()) {
    const [, code, message] = cases[i]!;
    assert.equal(result.code, code, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
});

test('lip serve of a name already served exits 1 and leaves the live server alone', async (t) => {
  const dir = socketDir(t);
  const first = await serve(t, [fixture('cli-text.js'), '--log-level', 'silent'], dir, 2);
  const second = await lip(['serve', fixture('cli-text.js'), '--log-level', 'silent'], dir);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /^lip: error: could not serve: .*lipcm-(echo|shout)\.sock is already served by a live server/);
  const call = await lip(['call', 'shout', 'still here'], dir);
  assert.equal(call.stdout.trim(), '"STILL HERE!"');
  first.child.kill('SIGINT');
  assert.equal((await first.exited).code, 0);
});

test('--socket-dir overrides LIP_SOCKET_DIR', async (t) => {
  const dir = socketDir(t);
  const other = socketDir(t);
  await serve(t, [fixture('cli-text.js'), '--socket-dir', dir, '--log-level', 'silent'], other, 2);
  assert.equal((await lip(['call', 'echo', '7', '--socket-dir', dir], other)).stdout.trim(), '7');
  assert.equal((await lip(['call', 'echo', '7'], other)).code, 3);
});

test('the real binary colours on a terminal (a pty from script(1)), and not with NO_COLOR or through a pipe', {
  skip: !hasScript && 'no script(1) here',
}, (t) => {
  const dir = socketDir(t);
  const inPty = (env: Record<string, string>) =>
    execFileSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(LIP)} ls --socket-dir ${JSON.stringify(dir)}`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, ...env, NO_COLOR: env.NO_COLOR ?? '' },
    });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI escape is what this test looks for
  assert.match(inPty({}), /\u001b\[2mno functions served here/);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI escape is what this test looks for
  assert.doesNotMatch(inPty({ NO_COLOR: '1' }), /\u001b\[/);
  const piped = execFileSync(process.execPath, [LIP, 'ls', '--socket-dir', dir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
  assert.equal(piped, 'no functions served here\n');
});

test('colour only on a TTY, and never with NO_COLOR', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  assert.equal(colourEnabled(tty, {}), true);
  assert.equal(colourEnabled(tty, { NO_COLOR: '1' }), false);
  assert.equal(colourEnabled(tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
  assert.equal(colourEnabled(pipe, {}), false);
});
