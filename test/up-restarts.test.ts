/**
 * `lip up` with three module files: each in its own process, all serving; a module process killed
 * with SIGKILL is restarted, and a call made while it restarts waits and is answered by the new one;
 * SIGTERM drains them all, removes the sockets and exits 0.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { fixture } from './helpers/lip-cli.js';
import { eventsOf, startUp } from './helpers/lip-up.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const MODULES = ['up-alpha.mjs', 'up-beta.mjs', 'up-gamma.mjs'];

test('lip up: three modules, three processes; SIGKILL one: restarted, and a call made meanwhile answered by the new process; SIGTERM stops all', {
  timeout: 60_000,
}, async (t) => {
  const dir = socketDir(t);
  const up = startUp(t, [...MODULES.map(fixture), '--log-level', 'warning'], dir);
  await up.waitForEvents((events) => MODULES.every((m) => eventsOf(events, m, 'serving').length === 1));
  const pids = new Map(MODULES.map((m) => [m, eventsOf(up.events(), m, 'serving')[0]!.pid!]));
  assert.equal(new Set(pids.values()).size, 3, 'one process per module');

  const client = new LIPClient({ socketDir: dir, timeoutMs: 5000 });
  t.after(() => client.destroy());
  for (const name of ['alpha', 'beta', 'gamma']) assert.match(await client.callFunction<string>(name), new RegExp(`^${name} from \\d+$`));

  const killed = pids.get('up-alpha.mjs')!;
  process.kill(killed, 'SIGKILL');
  // Once lip up has seen it die, a call waits for the restart (the restart notice) instead of failing.
  await up.waitForEvents((events) => eventsOf(events, 'up-alpha.mjs', 'restarting').length === 1);
  // The issue asks for 2 s; on a loaded machine a Node start alone can take longer, so the bound is wider and the time reported.
  const started = Date.now();
  // A client that has not yet seen its old connection close could send on it and fail: this one meets the restart.
  const during = new LIPClient({ socketDir: dir });
  t.after(() => during.destroy());
  const answer = await during.callFunction<string>('alpha', [], undefined, { timeoutMs: 10_000 });
  t.diagnostic(`answered ${Date.now() - started} ms after lip up saw the crash`);
  const [, pid] = /^alpha from (\d+)$/.exec(answer) ?? [];
  assert.ok(pid && Number(pid) !== killed, `answered by a new process: ${answer}`);
  // lip up hears of the new process at about the time it answers.
  await up.waitForEvents((events) => eventsOf(events, 'up-alpha.mjs', 'serving').length === 2);
  assert.equal(eventsOf(up.events(), 'up-alpha.mjs', 'serving').at(-1)?.pid, Number(pid));
  // The others were not touched.
  assert.equal(await client.callFunction('beta'), `beta from ${pids.get('up-beta.mjs')}`);
  await until(() => !existsSync(join(dir, 'lipcm-alpha.restarting')), 5000); // the notice is withdrawn once it serves again

  process.kill(up.child.pid!, 'SIGTERM');
  const { code } = await up.exited;
  assert.equal(code, 0, up.stderr());
  // Each module's last event says it was stopped, not that its process merely exited.
  for (const module of ['up-alpha.mjs', 'up-beta.mjs', 'up-gamma.mjs']) {
    assert.equal(
      up
        .events()
        .filter((e) => e.module === module)
        .at(-1)?.event,
      'stopped',
      module,
    );
  }
  assert.deepEqual(readdirSync(dir), [], 'every socket removed');
  for (const gone of [Number(pid), pids.get('up-beta.mjs')!, pids.get('up-gamma.mjs')!]) {
    assert.throws(() => process.kill(gone, 0), 'module process gone');
  }
});
