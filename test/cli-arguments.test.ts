/**
 * `lip call` arguments from files and stdin, binary in and out through real
 * files, big integers typed on the command line, and typed arrays printed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, lip, LIP, serve, type Result } from './helpers/lip-cli.js';

/** `lip ...args` with stdin, stdout or stderr opened on a file (`/dev/zero`, `/dev/full`). */
function lipWithFiles(args: string[], dir: string, files: { stdin?: string; stdout?: string }): Promise<Result> {
  const stdin = files.stdin ? openSync(files.stdin, 'r') : 'ignore';
  const stdout = files.stdout ? openSync(files.stdout, 'w') : 'pipe';
  const child = spawn(process.execPath, [LIP, ...args], { env: { ...process.env, NO_COLOR: '1', LIP_SOCKET_DIR: dir }, stdio: [stdin, stdout, 'pipe'] });
  let out = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr })));
}

/** `lip ...args` with `input` written to its stdin. */
function lipWithStdin(args: string[], dir: string, input: string | Buffer): Promise<Result> {
  const child = spawn(process.execPath, [LIP, ...args], { env: { ...process.env, NO_COLOR: '1', LIP_SOCKET_DIR: dir }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

test('lip call takes arguments from files and stdin, and writes results to files', async (t) => {
  const dir = socketDir(t);
  await serve(t, [fixture('cli-values.ts'), '--log-level', 'silent'], dir, 6);
  const ok = (result: Result) => {
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as unknown;
  };

  await t.test('--args @file and --args - (stdin)', async () => {
    const file = join(dir, 'args.json');
    writeFileSync(file, '[1, "two", {"$binary": "aGk="}]');
    assert.deepEqual(ok(await lip(['call', 'kinds', '--args', `@${file}`, 'word'], dir)), ['number 1', 'string two', 'bytes 2', 'string word']);
    assert.deepEqual(ok(await lipWithStdin(['call', 'kinds', '--args', '-'], dir, '[true, null]')), ['boolean', 'null']);
    const missing = await lip(['call', 'kinds', '--args', `@${join(dir, 'nope.json')}`], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--args @.*nope\.json: cannot read .*ENOENT/);
  });

  await t.test('--kwargs as JSON, @file and stdin; with --kw', async () => {
    assert.deepEqual(ok(await lip(['call', 'keywords', '--kwargs', '{"a": 1}'], dir)), { a: 'number 1', b: 'string unset', data: 'string unset' });
    const file = join(dir, 'kwargs.json');
    writeFileSync(file, '{"a": "x", "b": 2}');
    assert.deepEqual(ok(await lip(['call', 'keywords', '--kwargs', `@${file}`], dir)), { a: 'string x', b: 'number 2', data: 'string unset' });
    assert.deepEqual(ok(await lipWithStdin(['call', 'keywords', '--kwargs', '-', '--kw', 'b=3'], dir, '{"a": []}')), {
      a: 'array',
      b: 'number 3',
      data: 'string unset',
    });
    const twice = await lip(['call', 'keywords', '--kwargs', '{"a": 1}', '--kw', 'a=2'], dir);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /'a' is given twice/);
    const notObject = await lip(['call', 'keywords', '--kwargs', '[1]'], dir);
    assert.equal(notObject.code, 2);
    assert.match(notObject.stderr, /--kwargs must be a JSON object/);
  });

  await t.test('a 2 MB binary argument from a file, and through stdin as JSON', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const digest = createHash('sha256').update(data).digest('hex');
    const file = join(dir, 'photo.bin');
    writeFileSync(file, data);
    assert.equal(ok(await lip(['call', 'sha256', '--arg-file', `data=${file}`], dir)), digest, 'by keyword');
    assert.equal(ok(await lip(['call', 'sha256', '--arg-file', file], dir)), digest, 'positional');
    const json = JSON.stringify([{ $binary: data.toString('base64') }]);
    assert.equal(ok(await lipWithStdin(['call', 'sha256', '--args', '-'], dir, json)), digest);
    const missing = await lip(['call', 'sha256', '--arg-file', join(dir, 'nope.bin')], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--arg-file .*nope\.bin: cannot read/);
  });

  await t.test('endless input (/dev/zero) stops at what a request can hold, for every option that reads one', async () => {
    // Before: each read everything first, gigabytes of memory for `yes | lip call f --args -`.
    for (const args of [
      ['--args', '-'],
      ['--kwargs', '-'],
      ['--args', '@/dev/zero'],
      ['--arg-file', '/dev/zero'],
    ]) {
      const result = await lipWithFiles(['call', 'sha256', ...args], dir, { stdin: '/dev/zero' });
      assert.equal(result.code, 5, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /ERR_LIP_FRAME_TOO_LARGE|more than \d+ bytes/, args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  await t.test('--max-frame-bytes sets what a request may hold: past the default, the server decides', async () => {
    const file = join(dir, 'seventeen.bin');
    writeFileSync(file, Buffer.alloc(17 * 1024 * 1024));
    const refused = await lip(['call', 'sha256', '--arg-file', file], dir);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /--arg-file .*nothing was sent/, 'refused before sending');
    const sent = await lip(['call', 'sha256', '--arg-file', file, '--max-frame-bytes', String(32 * 1024 * 1024)], dir);
    assert.equal(sent.code, 5);
    assert.match(sent.stderr, /^lip: error: sha256: frame of \d+ bytes exceeds/m, 'sent, and refused by the server (16 MiB)');
  });

  await t.test('output that cannot be written (/dev/full) is an error on stderr, not an uncaught exception', async () => {
    const result = await lipWithFiles(['call', 'kinds', '1'], dir, { stdout: '/dev/full' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /^lip: error: .*ENOSPC/m);
    assert.doesNotMatch(result.stderr, /\n\s+at |Uncaught|node:internal/, result.stderr);
  });

  await t.test('--out writes a binary result as its bytes, other results as JSON', async () => {
    const data = randomBytes(300_000);
    const input = join(dir, 'in.bin');
    const output = join(dir, 'out.bin');
    writeFileSync(input, data);
    const result = await lip(['call', 'reverse', '--arg-file', input, '--out', output], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '', 'nothing on stdout');
    assert.deepEqual(readFileSync(output), Buffer.from(data).reverse());
    const json = join(dir, 'out.json');
    assert.equal((await lip(['call', 'kinds', '1', '--out', json], dir)).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(json, 'utf8')), ['number 1']);
    const text = join(dir, 'out.txt');
    assert.equal((await lip(['call', 'same', 'plain words', '--out', text], dir)).code, 0);
    assert.equal(readFileSync(text, 'utf8'), 'plain words', 'a string result is the file content itself');
  });

  await t.test('integers beyond 2^53 are sent as bigint, not rounded', async () => {
    assert.deepEqual(ok(await lip(['call', 'kinds', '12345678901234567890', '-12345678901234567890', '9007199254740993', '9007199254740991', '1e21'], dir)), [
      'bigint 12345678901234567890',
      'bigint -12345678901234567890',
      'bigint 9007199254740993',
      'number 9007199254740991',
      'number 1e+21',
    ]);
    assert.equal((await lip(['call', 'same', '12345678901234567890'], dir)).stdout.trim(), '"12345678901234567890"');
    assert.deepEqual(ok(await lip(['call', 'kinds', '--args', '[[1], 99999999999999999999]'], dir)), ['array', 'bigint 99999999999999999999']);
    assert.deepEqual(ok(await lip(['call', 'keywords', '--kw', 'a=18446744073709551616'], dir)), {
      a: 'bigint 18446744073709551616',
      b: 'string unset',
      data: 'string unset',
    });
  });

  await t.test('Errors print with name, message, code and fields; a RegExp as its literal', async () => {
    const result = await lip(['call', 'outcomes'], dir);
    assert.deepEqual(ok(result), {
      err: { name: 'RangeError', message: 'too big', code: 'E_VALUE', limit: 10, cause: { name: 'TypeError', message: 'not a number' } },
      plain: { name: 'Error', message: 'plain' },
      pattern: '/a+/gi',
    });
  });

  await t.test('typed arrays print as JSON arrays', async () => {
    assert.deepEqual(ok(await lip(['call', 'vectors'], dir)), { f64: [1.5, 2.5], i32: [-1, 7] });
  });
});
