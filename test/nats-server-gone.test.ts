/**
 * The NATS server going away before `LIPClient.close()` and `exit()`: both
 * settle, and nothing keeps the process alive afterwards (a connection that
 * can't drain is closed instead of reconnecting for ever).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFixture } from './helpers/fixture-server.js';
import { spawnNatsServer } from './helpers/nats-server.js';
import { socketDir } from './helpers/temp-dir.js';

test('close() and exit() after the NATS server died: the process ends by itself', async (t) => {
  const nats = await spawnNatsServer(t);
  const app = await startFixture(t, 'nats-server-gone.ts', socketDir(t), { NATS_URL: nats.url });
  nats.child.kill('SIGKILL');
  await new Promise((resolve) => nats.child.once('exit', resolve));
  app.child.kill('SIGUSR2');
  await app.waitFor('CLOSED');
  const ended = await Promise.race([app.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
  assert.equal(ended, 0, 'the process ends once its client is closed and its function stopped');
});
