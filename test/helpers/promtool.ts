/** The Prometheus exposition as the tests read it: checked by Debian's `promtool check metrics`, and parsed into samples. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * Asserts that `promtool check metrics` reports no problem at all (lint warnings included) on `text`;
 * false (the test skipped) when promtool is not installed.
 */
export function promtoolCheck(t: TestContext, text: string): boolean {
  const which = spawnSync('promtool', ['--version']);
  if (which.error) {
    t.skip('promtool is not installed (Debian package prometheus; .ci/run installs it)');
    return false;
  }
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(`${result.stdout}${result.stderr}`, '', `promtool reports no problem, not even a lint warning:\n${text}`);
  assert.equal(result.status, 0);
  return true;
}

/** `name{labels} value` lines as a map from `name{labels}` to the value. */
export function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    map.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return map;
}
