/**
 * `lip up` when modules fail: one that throws on load (6 times) is restarted with backoff, then marked
 * failed after 5 failures within 60 s while the others serve on; when every module has failed, lip up
 * exits 1. lip.config.json is checked with errors naming the key.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { fixture, lip } from './helpers/lip-cli.js';
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
  const work = tempDir(t, '/tmp/lipw-');
  const cases: [unknown, RegExp][] = [
    [{ modules: [] }, /'modules' must be a non-empty array/],
    [{ modules: ['a.js'], extra: 1 }, /unknown key 'extra'/],
    [{ modules: [{ file: 'a.js', instances: 0 }] }, /modules\[0\]\.instances must be a whole number >= 1/],
    [{ modules: [{ file: 'a.js', env: { A: 1 } }] }, /modules\[0\]\.env must be an object of strings/],
    [{ modules: [{ files: ['a.js'], file: 'b.js' }] }, /give "file" or "files"/],
    [{ modules: ['a.js', 'other/a.js'] }, /two modules are named 'a.js'/],
    [{ modules: ['a.js'], logLevel: 'loud' }, /'logLevel' must be debug/],
  ];
  for (const [config, message] of cases) {
    writeFileSync(join(work, 'lip.config.json'), JSON.stringify(config));
    const result = await lip(['up', '--config', join(work, 'lip.config.json')]);
    assert.equal(result.code, 2, `${JSON.stringify(config)}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  writeFileSync(join(work, 'lip.config.json'), '{ not json');
  assert.match((await lip(['up', '--config', join(work, 'lip.config.json')])).stderr, /is not valid JSON/);
  const none = await lip(['up'], undefined);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /nothing to run: give module files, or write lip.config.json/);
});
