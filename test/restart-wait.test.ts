/**
 * Calls wait for a function whose restart is announced (announceRestart, as `lip up` does), within their
 * deadline; without the notice, or once it is withdrawn, a missing socket fails at once as before.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { announceRestart, endRestartNotice, LIPClient, LIPModule, LIPNotFoundError, LIPTimeoutError } from '../src/index.js';
import { socketDir } from './helpers/temp-dir.js';

test('a call waits for an announced restart and is answered by the new server', async (t) => {
  const dir = socketDir(t);
  const echo = LIPModule({ logLevel: 'silent', socketDir: dir })(function echo(x: unknown) {
    return x;
  });
  await echo.init();
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('echo', [1]), 1);
  await echo.exit();
  await announceRestart('echo', { socketDir: dir });
  const waiting = client.callFunction('echo', [2], undefined, { timeoutMs: 5000 });
  const fresh = new LIPClient({ socketDir: dir });
  t.after(() => fresh.destroy());
  // A client that never reached it waits too: the notice, not this client's history, decides.
  const waitingFresh = fresh.callFunction('echo', [3], undefined, { timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 200));
  await echo.init();
  assert.equal(await waiting, 2);
  assert.equal(await waitingFresh, 3);
  await endRestartNotice('echo', { socketDir: dir });
  await echo.exit();
  const started = Date.now();
  await assert.rejects(client.callFunction('echo', [4], undefined, { timeoutMs: 5000 }), LIPNotFoundError);
  assert.ok(Date.now() - started < 2000, 'no notice: no wait');
});

test('an announced restart that does not come back in time is the call timeout; a dead supervisor makes nobody wait', async (t) => {
  const dir = socketDir(t);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  await announceRestart('gone', { socketDir: dir });
  await assert.rejects(
    client.callFunction('gone', [], undefined, { timeoutMs: 300 }),
    (e: unknown) => e instanceof LIPTimeoutError && /did not come back/.test(e.message),
  );
  // A marker naming a process that no longer exists counts for nothing.
  writeFileSync(join(dir, 'lipcm-gone.restarting'), '999999999\n');
  const started = Date.now();
  await assert.rejects(client.callFunction('gone', [], undefined, { timeoutMs: 5000 }), LIPNotFoundError);
  assert.ok(Date.now() - started < 2000);
});
