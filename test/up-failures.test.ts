/**
 * `lip up` when modules fail: one that throws on load (6 times) is restarted with backoff, then marked
 * failed after 5 failures within 60 s while the others serve on; when every module has failed, lip up
 * exits 1. lip.config.json is checked with errors naming the key.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CliError } from '../src/cli/exit-codes.js';
import { parseConfig } from '../src/cli/up/config.js';
import { LIPClient } from '../src/index.js';
import { watchOutput } from './helpers/child-output.js';
import { fixture, lip, spawnLip } from './helpers/lip-cli.js';
import { eventsOf, startUp } from './helpers/lip-up.js';
import { socketDir, tempDir } from './helpers/temp-dir.js';

test('a module that throws on load 6 times is marked failed; the others are unaffected', { timeout: 60_000 }, async (t) => {
  const dir = socketDir(t);
  const work = tempDir(t, '/tmp/lipw-');
  const counter = join(work, 'loads');
  writeFileSync(counter, '0');
  writeFileSync(
    join(work, 'lip.config.json'),
    JSON.stringify({
      logLevel: 'warning',
      modules: [fixture('up-alpha.mjs'), { name: 'flaky', file: fixture('up-flaky.mjs'), env: { UP_FLAKY_COUNTER: counter, UP_FLAKY_FAILS: '6' } }],
    }),
  );
  const up = startUp(t, [], dir, {}, work);
  await up.waitForEvents((events) => eventsOf(events, 'flaky', 'failed').length === 1, 40_000);
  const events = up.events();
  const restarts = eventsOf(events, 'flaky', 'restarting');
  assert.deepEqual(
    restarts.map((e) => e.afterMs),
    [100, 200, 400, 800],
    'exponential backoff',
  );
  assert.match(eventsOf(events, 'flaky', 'failed')[0]!.message!, /5 failures within 60 s.*flaky load 5/);
  assert.equal(eventsOf(events, 'flaky', 'serving').length, 0);
  assert.equal(eventsOf(events, 'up-alpha.mjs', 'serving').length, 1);
  assert.equal(eventsOf(events, 'up-alpha.mjs', 'exited').length, 0, 'alpha never restarted');
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.match(await client.callFunction<string>('alpha'), /^alpha from /);
  assert.equal(up.child.exitCode, null, 'lip up goes on while a module serves');
  process.kill(up.child.pid!, 'SIGTERM');
  assert.equal((await up.exited).code, 0);
});

test('when every module has failed, lip up exits 1', { timeout: 60_000 }, async (t) => {
  const dir = socketDir(t);
  const work = tempDir(t, '/tmp/lipw-');
  const counter = join(work, 'loads');
  writeFileSync(counter, '0');
  const up = startUp(t, [fixture('up-flaky.mjs')], dir, { UP_FLAKY_COUNTER: counter, UP_FLAKY_FAILS: '100' });
  const { code } = await up.exited;
  assert.equal(code, 1);
  assert.equal(eventsOf(up.events(), 'up-flaky.mjs', 'failed').length, 1);
  assert.match(up.stderr(), /every module failed/);
});

test('lip.config.json mistakes are usage errors naming the key', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ modules: [] }, /'modules' must be a non-empty array/],
    [{ modules: ['a.js'], extra: 1 }, /unknown key 'extra'/],
    [{ modules: [{ file: 'a.js', instances: 0 }] }, /modules\[0\]\.instances must be a whole number >= 1/],
    [{ modules: [{ file: 'a.js', env: { A: 1 } }] }, /modules\[0\]\.env must be an object of strings/],
    [{ modules: [{ files: ['a.js'], file: 'b.js' }] }, /give "file" or "files"/],
    [{ modules: [{ file: 'a.js', only: [] }] }, /modules\[0\]\.only must be an array of one or more non-empty strings/],
    [{ modules: ['a.js', 'other/a.js'] }, /two modules are named 'a.js'/],
    [{ modules: ['a.js'], logLevel: 'loud' }, /'logLevel' must be debug/],
    [{ modules: ['a.js'], grace: -1 }, /'grace' must be a number of milliseconds >= 0/],
    // Past a day (a typo; it would overflow the hung-module timer) or not a number: refused, not clamped.
    [{ modules: ['a.js'], grace: 1e300 }, /'grace' must be a number of milliseconds >= 0 and <= 86400000/],
    [{ modules: ['a.js'], grace: '5000' }, /'grace' must be a number of milliseconds >= 0 and <= 86400000/],
    [['a.js'], /expected an object with a "modules" array/],
  ];
  for (const [config, message] of cases) {
    assert.throws(
      () => parseConfig(config, 'lip.config.json'),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && message.test(e.message),
      JSON.stringify(config),
    );
  }
  // Watched paths must exist (the others are checked when started).
  const app = tempDir(t, '/tmp/lipapp-');
  mkdirSync(join(app, 'lib'));
  const good = parseConfig(
    { socketDir: 'run', modules: ['m.js', { name: 'b', files: ['b.js'], only: ['x'], instances: 2, env: { K: 'v' }, watch: ['lib'] }] },
    join(app, 'lip.config.json'),
  );
  assert.equal(good.socketDir, join(app, 'run'), 'relative to the file');
  assert.deepEqual(good.modules[1], {
    label: 'b',
    files: [join(app, 'b.js')],
    only: ['x'],
    instances: 2,
    env: { K: 'v' },
    logLevel: undefined,
    watch: [join(app, 'lib')],
  });

  // Through the command: status 2 and the message.
  const work = tempDir(t, '/tmp/lipw-');
  writeFileSync(join(work, 'lip.config.json'), JSON.stringify({ modules: [{ file: 'a.js', instances: 0 }] }));
  const bad = await lip(['up', '--config', join(work, 'lip.config.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /modules\[0\]\.instances must be a whole number >= 1/);
  for (const grace of ['1e12', '-5', 'soon', '']) {
    const badGrace = await lip(['up', '--grace', grace, '--config', join(work, 'lip.config.json')]);
    assert.equal(badGrace.code, 2, `--grace ${grace}`);
    assert.match(badGrace.stderr, /option '--grace <ms>' argument .* is invalid\. expected a number of milliseconds >= 0 and <= 86400000/);
  }
  writeFileSync(join(work, 'lip.config.json'), '{ not json');
  assert.match((await lip(['up', '--config', join(work, 'lip.config.json')])).stderr, /is not valid JSON/);
  const empty = tempDir(t, '/tmp/lipw-');
  const none = spawnLip(['up'], undefined, {}, { cwd: empty });
  const noneOutput = watchOutput(none, 'lip up');
  assert.equal((await noneOutput.closed).code, 2);
  assert.match(noneOutput.stderr(), /nothing to run: give module files, or write lip.config.json/);
});
