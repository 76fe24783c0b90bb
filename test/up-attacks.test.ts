/**
 * Attacks on what `lip up` added (issue 20): restart notices that make clients wait, take-over, socket
 * activation, the supervisor's config and its handling of misbehaving modules.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { SECOND_USER_SKIP, secondUser } from './helpers/second-user.js';
import { socketDir } from './helpers/temp-dir.js';

const DIST = resolve(import.meta.dirname, '..', 'dist', 'index.js');

// Writes its own restart notice naming `pid`, then calls the function it announces, printing how that ended.
const STALE_NOTICE_CLIENT = `
const [dist, dir, pid] = process.argv.slice(1);
const { writeFileSync } = await import('node:fs');
const { LIPClient } = await import(dist);
writeFileSync(dir + '/lipcm-gone.restarting', pid + '\\n');
const client = new LIPClient({ socketDir: dir });
const started = Date.now();
try {
  await client.callFunction('gone', [], undefined, { timeoutMs: 8000 });
  console.log('ANSWERED');
} catch (error) {
  console.log('DONE ' + error.name + ' ' + (Date.now() - started));
}
client.destroy();
`;

test("a user's own stale restart notice whose pid now belongs to another user's process makes nobody wait", { skip: SECOND_USER_SKIP }, async (t) => {
  const user = secondUser(t);
  const parent = socketDir(t);
  chmodSync(parent, 0o711);
  const dir = join(parent, 'victim');
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, user.uid, user.gid);
  // The supervisor that wrote the notice died and its pid went to a process of someone else (here: this
  // test's process, root's): signalling it gives EPERM, which is not "our supervisor is alive".
  const client = user.node(STALE_NOTICE_CLIENT, [DIST, dir, String(process.pid)]);
  await client.waitFor('DONE', 15_000);
  const [, name, ms] = client.stdout().trim().split(' ');
  assert.equal(name, 'LIPNotFoundError', client.stdout() + client.stderr());
  assert.ok(Number(ms) < 4000, `failed at once, not after waiting out the deadline (${ms} ms)`);
});
