/**
 * `bench/run.mjs --compare FILE` prints each figure beside the same figure of a previous
 * results file, with the ratio oriented so that above 1x means the new run did better.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

test('--compare prints each figure of this run against a previous results file', (t) => {
  const dir = socketDir(t);
  const previous = join(dir, 'previous.json');
  // list100 is milliseconds per listing: lower is better, so the ratio is before ÷ now.
  writeFileSync(previous, JSON.stringify({ meta: { date: '2026-01-01T00:00:00.000Z' }, values: { list100: { ours: 50, net: 'n/a' } } }));
  const out = join(dir, 'now.json');
  const run = spawnSync(process.execPath, ['bench/run.mjs', '--quick', '--only', 'list100', '--peers', 'ours', '--compare', previous, '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const now = (JSON.parse(readFileSync(out, 'utf8')) as { values: { list100: { ours: number } } }).values.list100.ours;
  assert.match(run.stdout, /Compared with .*previous\.json \(2026-01-01T00:00:00\.000Z/);
  const line = run.stdout.split('\n').find((l) => /^list100\s+ours\s/.test(l));
  assert.ok(line, `a list100 row in:\n${run.stdout}`);
  const ratio = Number(/([\d.]+)x$/.exec(line)?.[1]);
  assert.ok(Math.abs(ratio - 50 / now) <= 0.006, `${ratio} is 50 ÷ ${now} to two decimals`);
});

test('--compare with a missing file fails before measuring anything', () => {
  const run = spawnSync(process.execPath, ['bench/run.mjs', '--quick', '--only', 'list100', '--compare', '/nonexistent/previous.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /ENOENT/);
  assert.doesNotMatch(run.stderr, /list100 ×/);
});
