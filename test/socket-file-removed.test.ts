/**
 * A serving socket's file removed (a tmp cleaner, a stray rm) or replaced: the
 * server notices within about a second, logs a warning and puts a fresh socket
 * back, keeping the connections it has; another live server at the path is
 * never taken over, and exit still removes only its own file.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

test('a socket file removed while serving is noticed, logged and put back; a live stranger there is not taken over', async (t) => {
  const dir = socketDir(t);
  const server = await startFixture(t, 'target-server.ts', dir, { TARGET_OPTS: JSON.stringify({ logLevel: 'warning' }) });
  const path = join(dir, 'lipcm-echo.sock');
  const before = lstatSync(path).ino;
  const kept = new LIPClient({ socketDir: dir });
  t.after(() => kept.destroy());
  assert.equal(await kept.callFunction('echo', ['before']), 'before');

  unlinkSync(path);
  await until(() => existsSync(path), 5000);
  assert.notEqual(lstatSync(path).ino, before, 'a fresh socket');
  await until(() => server.errors().includes('the socket file was removed while serving'), 5000);
  const fresh = new LIPClient({ socketDir: dir });
  t.after(() => fresh.destroy());
  assert.equal((await fresh.describe('echo')).pid, server.child.pid, 'the same server answers at the path');
  assert.equal(await kept.callFunction('echo', ['kept']), 'kept', 'a connection made before still works');

  // Someone else serves at the path now: warned about, left alone.
  unlinkSync(path);
  const stranger = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => stranger.listen(path, resolve));
  const theirs = lstatSync(path).ino;
  await until(() => server.errors().includes('could not be put back'), 5000);
  assert.equal(lstatSync(path).ino, theirs, 'the stranger keeps the path');
  // Once it is gone, ours comes back.
  await new Promise<void>((resolve) => stranger.close(() => resolve()));
  await until(() => existsSync(path), 5000);
  const later = new LIPClient({ socketDir: dir });
  t.after(() => later.destroy());
  assert.equal((await later.describe('echo')).pid, server.child.pid);

  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  assert.equal(existsSync(path), false, 'exit removed the socket file it put back');
});
