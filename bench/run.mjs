#!/usr/bin/env node
/**
 * Runs every workload (bench/scenarios/*.mjs) against every peer
 * (bench/peers/*.mjs) back to back, prints a table with our ratio to each
 * peer and the goals of issue 18, writes the figures as JSON and an SVG chart.
 *
 *   node bench/run.mjs [--quick] [--out file.json] [--chart file.svg]
 *                      [--only workload,...] [--peers peer,...] [--prof dir]
 *                      [--compare previous.json]
 *
 * --compare prints each figure's ratio to the same figure of a previous results file (such as the
 * committed bench/results/latest.json), so a change is judged against the run before it.
 * --prof writes a V8 CPU profile (.cpuprofile) of every server and client process into dir.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PEERS } from './peers/index.mjs';
import { evaluateTargets, renderChart, renderComparison, renderTable, renderTargets } from './lib/report.mjs';

import sequential from './scenarios/sequential.mjs';
import inflight64 from './scenarios/inflight64.mjs';
import multi8x8 from './scenarios/multi8x8.mjs';
import echo1m from './scenarios/echo1m.mjs';
import cached from './scenarios/cached.mjs';
import logging from './scenarios/logging.mjs';
import init from './scenarios/init.mjs';
import list100 from './scenarios/list100.mjs';
import idle1000 from './scenarios/idle1000.mjs';
import telemetry from './scenarios/telemetry.mjs';
import stream100k from './scenarios/stream100k.mjs';
import stream64k from './scenarios/stream64k.mjs';
import streamwindow from './scenarios/streamwindow.mjs';
import callbacks64 from './scenarios/callbacks64.mjs';
import upload from './scenarios/upload.mjs';

const SCENARIOS = [
  sequential,
  inflight64,
  multi8x8,
  echo1m,
  stream100k,
  stream64k,
  cached,
  logging,
  telemetry,
  init,
  list100,
  idle1000,
  callbacks64,
  upload,
  streamwindow,
];
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    chart: { type: 'string' },
    only: { type: 'string' },
    peers: { type: 'string' },
    prof: { type: 'string' },
    compare: { type: 'string' },
  },
});
if (args.prof) process.env.LIP_BENCH_PROF = resolve(args.prof);
// Read before the run, so a missing or broken file fails at once rather than after minutes of measuring.
const previous = args.compare ? JSON.parse(readFileSync(resolve(args.compare), 'utf8')) : undefined;

// A full run measures the steady state: each cell's processes are new, and lipmodule's call path reaches its
// optimised speed only after about 2 s of calls (docs/BENCHMARKS.md, Method); 300 ms measured V8 warming up.
const SETTINGS = args.quick
  ? { rounds: 1, warmupMs: 150, windows: 1, windowMs: 300, initReps: 1, listReps: 5, idleConnections: 1000, idleSettleMs: 300, quickItems: true }
  : { rounds: 3, warmupMs: 2000, windows: 1, windowMs: 1000, initReps: 5, listReps: 30, idleConnections: 1000, idleSettleMs: 1000 };

const out = resolve(args.out ?? join(RESULTS, 'latest.json'));
const chart = resolve(args.chart ?? join(args.out ? dirname(out) : RESULTS, 'chart.svg'));
const onlyWorkloads = args.only?.split(',');
const onlyPeers = args.peers?.split(',');
const scenarios = SCENARIOS.filter((s) => !onlyWorkloads || onlyWorkloads.includes(s.id));

const started = Date.now();
const results = {
  meta: {
    date: new Date().toISOString(),
    node: process.versions.node,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    quick: args.quick,
    settings: SETTINGS,
  },
  peers: PEERS.map(({ id, label }) => ({ id, label })),
  workloads: scenarios.map(({ id, title, unit, lowerIsBetter = false }) => ({ id, title, unit, lowerIsBetter })),
  cells: {},
};

async function runCell(scenario, peer, settings, label) {
  const t = Date.now();
  process.stderr.write(`${scenario.id} × ${peer.id}${label} ... `);
  try {
    const cell = await scenario.run(peer.id, settings);
    process.stderr.write(`${cell.value} ${cell.unit} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    return cell;
  } catch (error) {
    // A failed cell is reported, not hidden, and the run goes on.
    process.stderr.write(`FAILED: ${error.message.split('\n').slice(0, 6).join('\n  ')}\n`);
    return { error: String(error.stack ?? error) };
  }
}

for (const scenario of scenarios) {
  const row = (results.cells[scenario.id] = {});
  const peers = PEERS.filter((peer) => scenario.peers.includes(peer.id) && (!onlyPeers || onlyPeers.includes(peer.id)));
  for (const peer of PEERS) if (!peers.includes(peer)) row[peer.id] = 'n/a';
  if (!scenario.rounds || SETTINGS.rounds <= 1) {
    for (const peer of peers) row[peer.id] = await runCell(scenario, peer, SETTINGS, '');
    continue;
  }
  // The machine is shared and noisy: peers take turns, round after round, and
  // each keeps its median round, so a slow spell hurts every peer alike.
  const rounds = new Map(peers.map((peer) => [peer.id, []]));
  for (let r = 0; r < SETTINGS.rounds; r++) {
    for (const peer of peers) rounds.get(peer.id).push(await runCell(scenario, peer, SETTINGS, ` [round ${r + 1}]`));
  }
  for (const peer of peers) {
    const cells = rounds.get(peer.id);
    const good = cells.filter((c) => typeof c.value === 'number').sort((a, b) => a.value - b.value);
    row[peer.id] = good.length === 0 ? cells[0] : { ...good[(good.length - 1) >> 1], rounds: cells.map((c) => c.value ?? null) };
  }
}

results.meta.durationS = Math.round((Date.now() - started) / 100) / 10;
results.targets = evaluateTargets(results);
// One flat number-or-n/a table, for readers and for the smoke test.
results.values = Object.fromEntries(
  Object.entries(results.cells).map(([w, row]) => [
    w,
    Object.fromEntries(Object.entries(row).map(([p, c]) => [p, typeof c === 'object' && typeof c.value === 'number' ? c.value : c === 'n/a' ? 'n/a' : null])),
  ]),
);

console.log(renderTable(results));
console.log(`\nTargets (ratios in this run):\n${renderTargets(results.targets)}`);
if (previous) console.log(`\n${renderComparison(results, previous, args.compare)}`);
console.log(`\n${results.meta.durationS} s; figures in ${out}, chart in ${chart}`);

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
mkdirSync(dirname(chart), { recursive: true });
writeFileSync(chart, renderChart(results));
const failed = Object.values(results.values).some((row) => Object.values(row).some((v) => v === null));
process.exit(failed ? 1 : 0);
