/**
 * Random nested Python values (cbor2: bytes keys, tuples, sets, floats,
 * bignums, tags 0/1/2/3/258, typed arrays, Errors) sent by a real Python
 * process to a TypeScript echo in another process, by the one-shot protocol
 * and by native frames: each comes back as docs/PROTOCOL.md says, and the
 * TypeScript side received the same JavaScript value both ways.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startFixture } from './helpers/fixture-server.js';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

const run = promisify(execFile);
const COUNT = Number(process.env.PY_VALUES_COUNT ?? '250');

type Report = Record<'one-shot' | 'native' | 'shapes', { checked: number; mismatches: unknown[] }>;

test(`Python values through a TypeScript echo, one-shot and native, agree with the table (${COUNT} values)`, async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'values-server.ts', dir);
  const seed = String(Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed}`);
  const { stdout } = await run('/usr/bin/python3', [join(ROOT, 'test/python/lip_values.py'), '--dir', dir, '--count', String(COUNT), '--seed', seed], {
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const report = JSON.parse(stdout) as Report;
  for (const mode of ['one-shot', 'native', 'shapes'] as const) {
    assert.equal(report[mode].checked, COUNT, mode);
    assert.deepEqual(report[mode].mismatches, [], `${mode} (seed ${seed})`);
  }
});
