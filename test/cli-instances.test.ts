/**
 * `lip serve --instances 2`: two worker processes share each socket path; the
 * primary hands connections to them in turn. Stop and SIGTERM reach them all.
 */
import assert from 'node:assert/strict';
import { statSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { socketDir } from './helpers.js';
import { fixture, lip, serve } from './fixtures/cli-harness.js';

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

test('lip serve --instances 2 serves calls from two processes on one socket', async (t) => {
  const dir = socketDir(t);
  const server = await serve(t, [fixture('cli-math.ts'), '--only', 'whoami,sleep', '--instances', '2', '--log-level', 'silent'], dir, 2);
  const whoamiPath = join(dir, 'lipcm-whoami.sock');
  const [, pidList] = server.stdout().match(/whoami\(\) at \S+ \(2 instances: pid (\d+, \d+)\)/) ?? [];
  assert.ok(pidList, server.stdout());
  const workers = pidList.split(', ').map(Number);
  assert.equal(statSync(whoamiPath).mode & 0o777, 0o600, 'shared sockets are owner-only too');

  // Connections, not calls, are spread. A client may open more than one connection per call
  // (a protocol probe), so when a call lands on a pid already seen, shift the rotation by one.
  const seen = new Set<number>();
  let shift = false;
  for (let attempt = 0; attempt < 8 && seen.size < 2; attempt++) {
    const result = await lip(['call', 'whoami'], dir);
    assert.equal(result.code, 0, result.stderr);
    const pid = Number(result.stdout.trim());
    if (seen.has(pid)) {
      if (shift) await oneConnection(whoamiPath);
      shift = !shift;
    }
    seen.add(pid);
  }
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
