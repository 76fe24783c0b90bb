/**
 * Prints the per-workload tables and the goals of a results file as Markdown, for docs/BENCHMARKS.md:
 *   node bench/markdown.mjs [bench/results/latest.json]
 */
import { readFileSync } from 'node:fs';
import { renderTargets } from './lib/report.mjs';

const results = JSON.parse(readFileSync(process.argv[2] ?? new URL('./results/latest.json', import.meta.url), 'utf8'));
const label = Object.fromEntries(results.peers.map((p) => [p.id, p.label]));
const n = (v, digits) => (typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '');
const valueDigits = (v) => (v >= 1000 ? 0 : v >= 100 ? 1 : 2);
const out = [];
const onlyOurs = [];
for (const w of results.workloads) {
  const row = results.cells[w.id];
  const cells = Object.entries(row).filter(([, c]) => typeof c === 'object' && typeof c.value === 'number');
  if (cells.length <= 1) {
    const ours = row.ours;
    if (typeof ours?.value === 'number')
      onlyOurs.push(
        `| ${w.title} | ${n(ours.value, valueDigits(ours.value))} ${w.unit} | ${(ours.rounds ?? []).map((r) => n(r, valueDigits(r))).join(' / ')} |`,
      );
    continue;
  }
  const ours = row.ours?.value;
  out.push(
    `### ${w.title}`,
    '',
    `| peer | ${w.unit} | p50 µs | p99 µs | client CPU µs/call | server CPU µs/call | ours × | rounds |`,
    '|---|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const [peer, c] of cells) {
    const ratio = peer === 'ours' || typeof ours !== 'number' ? '' : n(w.lowerIsBetter ? c.value / ours : ours / c.value, 2);
    const name = peer === 'ours' ? `**${label[peer]}**` : label[peer];
    out.push(
      `| ${name} | ${n(c.value, valueDigits(c.value))} | ${n(c.p50Us, 1)} | ${n(c.p99Us, 1)} | ${n(c.clientCpuUsPerCall, 2)} | ${n(c.serverCpuUsPerCall, 2)} | ${ratio} | ${(c.rounds ?? []).map((r) => n(r, valueDigits(r))).join(' / ')} |`,
    );
  }
  out.push('');
}
out.push(
  '### lipmodule only',
  '',
  '| workload | value | rounds |',
  '|---|---:|---|',
  ...onlyOurs,
  '',
  '### Goals',
  '',
  '```',
  renderTargets(results.targets),
  '```',
);
console.log(out.join('\n'));
