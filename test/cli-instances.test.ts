/**
 * `lip serve --instances 2`: two worker processes share each socket path; the
 * primary hands connections to them in turn. Stop and SIGTERM reach them all.
 */
import assert from 'node:assert/strict';
import { statSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { socketDir } from './helpers/temp-dir.js';
import { fixture, lip, serve, spawnLip } from './helpers/lip-cli.js';

/** Opens and closes one connection: moves the primary's round-robin on by one worker. */
function oneConnection(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

/**
 * Asks `lip <args>` until `accept(stdout)` holds. Each ask is a new connection handed to the next
 * worker; a client may open more than one connection per ask (a protocol probe), so when an answer
 * does not fit, the rotation is shifted by one connection every other time.
 */
async function askEveryInstance(args: string[], dir: string, path: string, accept: (stdout: string) => boolean, attempts = 8): Promise<string[]> {
  const answers: string[] = [];
  let shift = false;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const result = await lip(args, dir);
    assert.equal(result.code, 0, result.stderr);
    answers.push(result.stdout.trim());
    if (accept(result.stdout)) return answers;
    if (shift) await oneConnection(path);
    shift = !shift;
  }
  assert.fail(`no instance gave the expected answer to lip ${args.join(' ')}: ${answers.join(' | ')}`);
}

test('lip serve --instances 2 serves calls from two processes on one socket', async (t) => {
  const dir = socketDir(t);
  const server = await serve(t, [fixture('cli-math.ts'), '--only', 'whoami,sleep', '--instances', '2', '--log-level', 'silent'], dir, 2);
  const whoamiPath = join(dir, 'lipcm-whoami.sock');
  const [, pidList] = server.stdout().match(/whoami\(\) at \S+ \(2 instances: pid (\d+, \d+)\)/) ?? [];
  assert.ok(pidList, server.stdout());
  const workers = pidList.split(', ').map(Number);
  assert.equal(statSync(whoamiPath).mode & 0o777, 0o600, 'shared sockets are owner-only too');

  const seen = new Set<number>();
  await askEveryInstance(['call', 'whoami'], dir, whoamiPath, (stdout) => seen.add(Number(stdout.trim())).size === 2);
  assert.deepEqual([...seen].sort(), [...workers].sort());

  const stopped = await lip(['stop', 'sleep'], dir);
  assert.equal(stopped.code, 0, stopped.stderr);
  await server.waitFor('stopped sleep (asked by a client)');
  assert.deepEqual(readdirSync(dir), ['lipcm-whoami.sock'], 'stopped in every instance: the shared socket is gone');
  for (let i = 0; i < 3; i++) assert.equal((await lip(['call', 'sleep', '1', 'x'], dir)).code, 3);

  server.child.kill('SIGTERM');
  const exited = await server.exited;
  assert.equal(exited.code, 0, exited.stderr);
  assert.deepEqual(readdirSync(dir), []);
  for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
});

test('Ctrl-C on a --instances 2 server lets a running call finish in its worker', async (t) => {
  const dir = socketDir(t);
  const server = await serve(t, [fixture('cli-math.ts'), '--only', 'sleep', '--instances', '2', '--log-level', 'silent', '--grace', '30000'], dir, 1, {
    detached: true,
  });
  const slow = spawnLip(['call', 'sleep', '12000', 'finished'], dir);
  let output = '';
  slow.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const slowDone = new Promise<number | null>((resolve) => slow.once('close', (code) => resolve(code)));
  // Stats come from whichever worker takes the connection: ask until the busy one answers.
  await askEveryInstance(['stats', 'sleep', '--json'], dir, join(dir, 'lipcm-sleep.sock'), (stdout) => JSON.parse(stdout).inFlight === 1, 12);
  // A terminal's Ctrl-C: SIGINT to the whole process group, primary and workers alike.
  process.kill(-server.child.pid!, 'SIGINT');
  assert.equal(await slowDone, 0);
  assert.equal(output.trim(), '"finished"');
  const exited = await server.exited;
  assert.equal(exited.code, 0, exited.stderr);
  assert.deepEqual(readdirSync(dir), []);
});

test('lip serve --instances N: N fresh clients reach N distinct workers', async (t) => {
  const { LIPClient } = await import('../src/index.js');
  for (const instances of [2, 4]) {
    await t.test(`${instances} instances, 8 clients`, async (t) => {
      const dir = socketDir(t);
      const server = await serve(t, [fixture('cli-math.ts'), '--only', 'whoami', '--instances', String(instances), '--log-level', 'silent'], dir, 1);
      const workers = (/\(\d+ instances: pid ([\d, ]+)\)/.exec(server.stdout())?.[1] ?? '').split(', ').map(Number);
      assert.equal(workers.length, instances, server.stdout());
      const pids: number[] = [];
      for (let i = 0; i < 8; i++) {
        // A fresh client each time, as a new process would be: its first call also finds out what serves there.
        const client = new LIPClient({ socketDir: dir });
        pids.push(await client.callFunction<number>('whoami'));
        client.destroy();
      }
      assert.equal(new Set(pids).size, Math.min(8, instances), `pids seen: ${pids.join(', ')}`);
      assert.ok(pids.every((pid) => workers.includes(pid)));
    });
  }
});

test('lip stop of the only function of a --instances 2 server: every worker stops, the server exits 0', async (t) => {
  const dir = socketDir(t);
  // Plain JavaScript, default logging: as a user's compiled file is served (the stop raced the worker's exit there).
  const server = await serve(t, [fixture('cli-text.js'), '--only', 'shout', '--instances', '2'], dir, 1);
  const workers = (/\(2 instances: pid ([\d, ]+)\)/.exec(server.stdout())?.[1] ?? '').split(', ').map(Number);
  assert.equal(workers.length, 2, server.stdout());

  const stopped = await lip(['stop', 'shout'], dir);
  assert.equal(stopped.code, 0, stopped.stderr + stopped.stdout);
  const exited = await server.exited;
  assert.equal(exited.code, 0, exited.stderr);
  assert.doesNotMatch(exited.stderr, /EPIPE|Error/);
  assert.match(server.stdout(), /stopped shout \(asked by a client\)/);
  assert.deepEqual(readdirSync(dir), [], 'the shared socket is gone');
  for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
});
