/**
 * The benchmark's JavaScript RPC peers (issue 18: capnweb, birpc) still serve and answer through
 * bench/peers: one short run of the sequential call and the 1 MiB echo, each peer's server and
 * client in their own processes, every answer checked by the bench client. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

const PEERS = ['capnweb', 'birpc'];

test('capnweb and birpc answer a call and echo 1 MiB through bench/peers', { timeout: 60_000 }, (t) => {
  const out = join(socketDir(t), 'peers.json');
  const run = spawnSync(process.execPath, ['bench/run.mjs', '--quick', '--only', 'sequential,echo1m', '--peers', PEERS.join(','), '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const { cells } = JSON.parse(readFileSync(out, 'utf8')) as { cells: Record<string, Record<string, { value?: number; calls?: number }>> };
  for (const workload of ['sequential', 'echo1m']) {
    for (const peer of PEERS) {
      const cell = cells[workload]![peer]!;
      assert.ok(typeof cell.value === 'number' && cell.value > 0, `${workload} × ${peer}: ${JSON.stringify(cell)}`);
      assert.ok((cell.calls ?? 0) >= 1, `${workload} × ${peer} made calls`);
    }
  }
});
