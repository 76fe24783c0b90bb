/**
 * `lip up --watch`: a module file rewritten 5 times under a load of 64 calls in flight from another
 * process: every reload's new process takes the socket over before the old one drains, so no call
 * fails and the new code's answers appear; a rewrite that does not load keeps the old version serving.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { watchOutput } from './helpers/child-output.js';
import { LIPClient } from '../src/index.js';
import { fixture, lip, spawnLip } from './helpers/lip-cli.js';
import { eventsOf, startUp } from './helpers/lip-up.js';
import { until } from './helpers/until.js';
import { ROOT } from './helpers/paths.js';
import { socketDir, tempDir } from './helpers/temp-dir.js';

const LIBRARY = pathToFileURL(join(ROOT, 'dist/index.js')).href;
const RELOADS = 5;

function writeVersion(file: string, version: string): void {
  writeFileSync(file, `import { LIPModule } from '${LIBRARY}';\nexport const version = LIPModule()(function version() {\n  return '${version}';\n});\n`);
}

test(`--watch: ${RELOADS} reloads in a row under 64 calls in flight fail 0 calls; a broken rewrite keeps the old version`, { timeout: 90_000 }, async (t) => {
  const dir = socketDir(t);
  const work = tempDir(t, '/tmp/lipw-');
  const file = join(work, 'version.mjs');
  writeVersion(file, 'v0');
  const up = startUp(t, [file, '--watch', '--log-level', 'warning'], dir);
  await up.waitForEvents((events) => eventsOf(events, 'version.mjs', 'serving').length === 1);

  const load = spawn(process.execPath, [fixture('up-load.mjs'), 'version', '64'], {
    env: { ...process.env, LIP_SOCKET_DIR: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => load.kill('SIGKILL'));
  const loadOutput = watchOutput(load, 'load');
  const seen = (version: string) =>
    loadOutput.waitFor((out) => out.split('\n').some((l) => l.startsWith('seen ') && l.slice(5).split(',').includes(version)), 30_000);
  await seen('v0');

  const pids = [eventsOf(up.events(), 'version.mjs', 'serving')[0]!.pid!];
  for (let i = 1; i <= RELOADS; i++) {
    writeVersion(file, `v${i}`);
    await up.waitForEvents((events) => eventsOf(events, 'version.mjs', 'serving').filter((e) => e.reload).length === i, 30_000);
    pids.push(eventsOf(up.events(), 'version.mjs', 'serving').at(-1)!.pid!);
    await seen(`v${i}`);
  }
  assert.equal(new Set(pids).size, RELOADS + 1, 'a new process for each reload');
  assert.equal(eventsOf(up.events(), 'version.mjs', 'restarting').length, 0, 'no reload looked like a crash');

  // A rewrite that can't load: reported, and v5 goes on serving.
  writeFileSync(file, 'export const version = ;\n');
  await up.waitForEvents((events) => eventsOf(events, 'version.mjs', 'reload-failed').length === 1, 30_000);
  assert.match(eventsOf(up.events(), 'version.mjs', 'reload-failed')[0]!.message!, /SyntaxError|could not load/);

  load.stdin!.write('stop\n');
  await loadOutput.waitFor((out) => out.includes('{"ok"'), 30_000);
  const summary = JSON.parse(
    loadOutput
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('{'))!,
  ) as {
    ok: number;
    failed: number;
    errors: Record<string, number>;
    answers: Record<string, number>;
  };
  t.diagnostic(`load: ${JSON.stringify(summary)}`);
  assert.deepEqual(summary.errors, {});
  assert.equal(summary.failed, 0);
  assert.ok((summary.answers.v5 ?? 0) > 0, 'the last reload answers');
  // The old processes drained and ended.
  const ended = (pid: number) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  await until(() => pids.slice(0, -1).every(ended), 10_000);

  process.kill(up.child.pid!, 'SIGTERM');
  assert.equal((await up.exited).code, 0);
});

test('lip serve --watch reloads its files the same way', { timeout: 60_000 }, async (t) => {
  const dir = socketDir(t);
  const work = tempDir(t, '/tmp/lipw-');
  const file = join(work, 'version.mjs');
  writeVersion(file, 'v0');
  const served = spawnLip(['serve', file, '--watch', '--log-level', 'warning'], dir, {}, { detached: true });
  t.after(() => {
    if (served.exitCode === null) process.kill(-served.pid!, 'SIGKILL');
  });
  const output = watchOutput(served, 'lip serve --watch');
  await output.waitFor('serving: version at');
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('version'), 'v0');
  writeVersion(file, 'v1');
  await output.waitFor('reloaded: version at');
  // The old process answers its open connection until it is told to drain; then the new one does.
  await until(async () => (await client.callFunction('version')) === 'v1');
  process.kill(served.pid!, 'SIGTERM');
  assert.equal((await output.closed).code, 0);
  assert.equal((await lip(['serve', file, '--watch', '--instances', '2'], dir)).code, 2, 'not with --instances');
});
