/**
 * The benchmark's quick run works end to end: every peer and workload runs and
 * the result file is written. Figures are not checked (no timing asserts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.js';
import { socketDir } from './helpers/temp-dir.js';

const WORKLOADS = [
  'sequential',
  'inflight64',
  'multi8x8',
  'echo1m',
  'stream100k',
  'stream64k',
  'cached',
  'logging',
  'telemetry',
  'init',
  'list100',
  'idle1000',
  'callbacks64',
  'upload',
  'streamwindow',
];
const PEERS = ['ours', 'net', 'net-batched', 'grpc', 'zmq', 'jayson', 'python', 'capnweb', 'birpc', 'nats'];

test('bench --quick runs every peer and workload and writes the result file', { timeout: 240_000 }, async (t) => {
  const dir = socketDir(t);
  const out = join(dir, 'x.json');
  const child = spawn(process.execPath, [join(ROOT, 'bench/run.mjs'), '--quick', '--out', out], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code !== 0 && existsSync(out)) {
    // The failed cells' own errors say more than the table's last lines.
    const cells = (JSON.parse(readFileSync(out, 'utf8')) as { cells: Record<string, Record<string, { error?: string }>> }).cells;
    for (const [workload, row] of Object.entries(cells)) {
      for (const [peer, cell] of Object.entries(row)) if (cell?.error) output += `\n${workload} × ${peer}: ${cell.error}`;
    }
  }
  assert.equal(code, 0, `bench/run.mjs --quick failed:\n${output.slice(-6000)}`);

  assert.ok(existsSync(out), 'the result file is written');
  assert.ok(existsSync(join(dir, 'chart.svg')), 'the chart is written beside it');
  const results = JSON.parse(readFileSync(out, 'utf8')) as {
    peers: { id: string }[];
    workloads: { id: string }[];
    values: Record<string, Record<string, unknown>>;
  };
  assert.deepEqual(
    results.workloads.map((w) => w.id),
    WORKLOADS,
  );
  assert.deepEqual(
    results.peers.map((p) => p.id),
    PEERS,
  );
  for (const workload of WORKLOADS) {
    for (const peer of PEERS) {
      const value = results.values[workload]?.[peer];
      assert.ok(
        value === 'n/a' || (typeof value === 'number' && Number.isFinite(value)),
        `${workload} × ${peer} is a number or n/a, got ${JSON.stringify(value)}`,
      );
    }
    assert.equal(typeof results.values[workload]!.ours, 'number', `${workload} has a figure for lipmodule`);
  }
});
