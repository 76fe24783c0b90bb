/**
 * The `lip` binary against a real `lip serve` of a .ts and a .js module file:
 * ls (with a stale socket), doc, call, errors, streams, stats, ping, stop,
 * and SIGTERM during a slow call.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';
import { fixture, lip, serve, spawnLip } from './helpers/lip-cli.js';

/** Leaves a socket file nobody answers: a process binds it and is SIGKILLed, so it cannot unlink. */
function makeStaleSocket(path: string): void {
  const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script]);
  assert.ok(existsSync(path), 'the stale socket file was left behind');
}

async function statsOf(name: string, dir: string): Promise<{ calls: number; inFlight: number; cache: { hits: number; misses: number } }> {
  const result = await lip(['stats', name, '--json'], dir);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test('lip serve of a .ts and a .js file, driven by the other commands', async (t) => {
  const dir = socketDir(t);
  const server = await serve(t, [fixture('cli-math.ts'), fixture('cli-text.js'), '--log-level', 'silent'], dir, 12);

  await t.test('serve prints one line per function with its socket path', () => {
    const lines = server.stdout().trim().split('\n');
    assert.ok(lines.includes(`serving add(a, b) at ${join(dir, 'lipcm-add.sock')}`), server.stdout());
    assert.ok(lines.includes(`serving shout(text) at ${join(dir, 'lipcm-shout.sock')}`), 'the .js file is served');
    assert.ok(lines.includes(`serving area(width, height) at ${join(dir, 'lipcm-area.sock')}`), 'decorated methods of exported instances are served');
  });

  await t.test('ls shows signature, doc, pid, calls, and marks a stale socket file', async () => {
    makeStaleSocket(join(dir, 'lipcm-ghost.sock'));
    const table = await lip(['ls'], dir);
    assert.equal(table.code, 0, table.stderr);
    const addRow = table.stdout.split('\n').find((l) => l.startsWith('add '));
    assert.match(addRow ?? '', new RegExp(`^add\\s+add\\(a, b\\)\\s+Adds two numbers\\.\\s+${server.child.pid}\\s+\\S+\\s+\\d+\\s+live$`));
    assert.match(table.stdout, /^ghost\s.*stale$/m);

    const json = await lip(['ls', '--json'], dir);
    const rows = JSON.parse(json.stdout) as { name: string; state: string; pid?: number; doc?: string }[];
    assert.deepEqual(rows.find((r) => r.name === 'ghost')?.state, 'stale');
    assert.equal(rows.find((r) => r.name === 'greet')?.pid, server.child.pid);
    assert.equal(rows.filter((r) => r.state === 'live').length, 12);

    const pruned = await lip(['ls', '--prune'], dir);
    assert.match(pruned.stdout, /^ghost\s.*pruned$/m);
    assert.equal(existsSync(join(dir, 'lipcm-ghost.sock')), false);
  });

  await t.test('doc shows the signature, full doc, parameters and cache settings', async () => {
    const add = await lip(['doc', 'add'], dir);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^add\(a, b\)$/m);
    assert.match(add.stdout, /Both must be numbers; strings are not coerced\./);
    assert.match(add.stdout, /Cache\s+off/);
    const greet = await lip(['doc', 'greet'], dir);
    assert.match(greet.stdout, /punctuation\s+\(optional, default '!'\)/);
    const square = await lip(['doc', 'square'], dir);
    assert.match(square.stdout, /Cache\s+on, unbounded, no expiry/);
    const json = JSON.parse((await lip(['doc', 'area', '--json'], dir)).stdout);
    assert.deepEqual(
      json.params.map((p: { name: string }) => p.name),
      ['width', 'height'],
    );
  });

  await t.test('call takes positional, keyword and JSON arguments', async () => {
    const out = async (...args: string[]) => {
      const result = await lip(['call', ...args], dir);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.trim();
    };
    assert.equal(await out('add', '2', '3'), '5');
    assert.equal(await out('greet', 'world'), '"hello world!"', 'not JSON, so taken as a string');
    assert.equal(await out('greet', '"42"'), '"hello 42!"', 'a JSON string stays a string');
    assert.equal(await out('greet', '--kw', 'name=ann', '--kw', 'punctuation=?'), '"hello ann?"');
    assert.equal(await out('area', '--kw', 'width=3', '--kw', 'height=4'), '12');
    assert.deepEqual(JSON.parse(await out('echo', '{"a":[1,2,null],"b":true}')), { a: [1, 2, null], b: true });
    assert.equal(await out('add', '--args', '[2, 40]'), '42');
    assert.equal(await out('greet', '--args', '["you"]', '"."'), '"hello you."', 'words after --args follow it');
    assert.equal(await out('shout', 'hi', '--raw'), 'HI!');
    assert.equal(await out('byteLength', '{"$binary":"aGVsbG8="}'), '5', '$binary arguments arrive as bytes');
    assert.deepEqual(JSON.parse(await out('oddities')), {
      bytes: { $binary: Buffer.from('hi').toString('base64') },
      big: (2n ** 70n).toString(),
      when: '1970-01-01T00:00:00.000Z',
      map: { $map: [[1, 'one']] },
      nothing: null,
    });
  });

  await t.test('a remote error exits 1 with its name, message and code on one line', async () => {
    const result = await lip(['call', 'fail', 'x'], dir);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^lip: error: 'fail' raised RangeError: x is out of range \(code E_RANGE\)$/m);
    const verbose = await lip(['call', 'fail', 'x', '--verbose'], dir);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /remote stack:\nRangeError: x is out of range/);
  });

  await t.test('not found exits 3, a deadline exits 4, bad arguments exit 2', async () => {
    const missing = await lip(['call', 'nope'], dir);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^lip: error: .*'nope' not found/);
    const late = await lip(['call', 'sleep', '1000', 'late', '--timeout', '50'], dir);
    assert.equal(late.code, 4, late.stderr);
    assert.match(late.stderr, /deadline/);
    const badJson = await lip(['call', 'add', '--args', '{'], dir);
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /--args is not valid JSON/);
    const badKw = await lip(['call', 'add', '--kw', 'novalue'], dir);
    assert.equal(badKw.code, 2);
    const refused = await lip(['call', 'add', '--kw', 'c=1'], dir);
    assert.equal(refused.code, 2, refused.stderr);
  });

  await t.test('--stream prints each value as it arrives, one JSON per line', async () => {
    const streamed = await lip(['call', 'countdown', '3', '--stream'], dir);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.deepEqual(streamed.stdout.trim().split('\n'), ['3', '2', '1', '"liftoff"']);
    const collected = await lip(['call', 'countdown', '2'], dir);
    assert.deepEqual(JSON.parse(collected.stdout), [2, 1, 'liftoff']);
  });

  await t.test('stats shows the figures of known calls', async () => {
    for (const n of ['4', '4', '5']) assert.equal((await lip(['call', 'square', n], dir)).code, 0);
    const stats = await statsOf('square', dir);
    assert.equal(stats.calls, 3);
    assert.deepEqual({ hits: stats.cache.hits, misses: stats.cache.misses }, { hits: 1, misses: 2 });
    const table = await lip(['stats'], dir);
    assert.match(table.stdout, new RegExp(`^square\\s+${server.child.pid}\\s+(?:\\d+[hm] )?\\d+m?s\\s+3\\s+0\\s+0\\s+0\\s+.*1/2$`, 'm'));
  });

  await t.test('stats --watch refreshes until interrupted', async () => {
    const watch = spawnLip(['stats', 'add', '--watch', '--json', '--interval', '50'], dir);
    let output = '';
    watch.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => watch.once('close', (code) => resolve(code)));
    await until(() => output.split('\n').length > 2);
    watch.kill('SIGINT');
    assert.equal(await closed, 0);
    const refreshes = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string });
    assert.ok(refreshes.every((r) => r.name === 'add'));
  });

  await t.test('ping reports a round trip', async () => {
    const result = await lip(['ping', 'add', '-c', '2'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.match(new RegExp(`^pong from add \\(pid ${server.child.pid}\\): [\\d.]+ ms$`, 'gm'))?.length, 2);
  });

  await t.test('stop shuts one function down; the others keep serving', async () => {
    const result = await lip(['stop', 'shout'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `stopped shout (pid ${server.child.pid})`);
    assert.equal(existsSync(join(dir, 'lipcm-shout.sock')), false);
    await server.waitFor('stopped shout (asked by a client)');
    assert.equal((await lip(['call', 'shout', 'x'], dir)).code, 3);
    assert.equal((await lip(['call', 'echo', '1'], dir)).stdout.trim(), '1');
  });

  await t.test('SIGTERM during a slow call lets it finish, then removes every socket', async () => {
    const slow = spawnLip(['call', 'sleep', '4000', 'finished'], dir);
    let output = '';
    slow.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const slowDone = new Promise<number | null>((resolve) => slow.once('close', (code) => resolve(code)));
    await until(async () => (await statsOf('sleep', dir)).inFlight === 1);
    server.child.kill('SIGTERM');
    assert.equal(await slowDone, 0);
    assert.equal(output.trim(), '"finished"');
    const exited = await server.exited;
    assert.equal(exited.code, 0, exited.stderr);
    assert.match(exited.stdout, /^stopped sleep$/m);
    assert.deepEqual(readdirSync(dir), []);
  });
});
