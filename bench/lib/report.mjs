/** The printed table, the goals of issue 18, and the SVG chart (written by hand: no chart dependency). */
import { round } from './stats.mjs';

const fmt = (v, digits = 0) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '';

/** ours ÷ peer for "higher is better", peer ÷ ours for "lower is better": above 1 means lipmodule is ahead. */
export function advantage(workload, ours, peer) {
  if (typeof ours?.value !== 'number' || typeof peer?.value !== 'number' || peer.value === 0 || ours.value === 0) return undefined;
  return round(workload.lowerIsBetter ? peer.value / ours.value : ours.value / peer.value, 2);
}

export function renderTable(results) {
  const lines = [];
  const head = ['peer', 'value', 'calls/s', 'p50 µs', 'p99 µs', 'MiB/s', 'cli CPU µs/call', 'srv CPU µs/call', 'ours ×'];
  for (const workload of results.workloads) {
    lines.push('', `## ${workload.title}  [value: ${workload.unit}${workload.lowerIsBetter ? ', lower is better' : ''}]`);
    const rows = [head];
    for (const peer of results.peers) {
      const cell = results.cells[workload.id][peer.id];
      if (cell === 'n/a') {
        rows.push([peer.id, 'n/a', '', '', '', '', '', '', '']);
        continue;
      }
      if (cell.error) {
        rows.push([peer.id, 'error', cell.error.split('\n')[0].slice(0, 60)]);
        continue;
      }
      const ratio = peer.id === 'ours' ? '' : advantage(workload, results.cells[workload.id].ours, cell);
      rows.push([
        peer.id,
        fmt(cell.value, cell.value < 100 ? 2 : 0),
        fmt(cell.callsPerSec),
        fmt(cell.p50Us, 1),
        fmt(cell.p99Us, 1),
        fmt(cell.mibPerSec, 1),
        fmt(cell.clientCpuUsPerCall, 2),
        fmt(cell.serverCpuUsPerCall, 2),
        ratio === undefined || ratio === '' ? '' : `${fmt(ratio, 2)}x`,
      ]);
    }
    const widths = head.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
    for (const row of rows) lines.push(row.map((c, i) => (i === 0 ? String(c ?? '').padEnd(widths[i]) : String(c ?? '').padStart(widths[i]))).join('  '));
    const cached = results.cells[workload.id].ours;
    if (workload.id === 'cached' && cached?.uncached) {
      lines.push(
        `   uncached work(): ${fmt(cached.uncached.callsPerSec)} calls/s, p50 ${fmt(cached.uncached.p50Us, 1)} µs  → hit ${fmt(cached.hitVsUncached, 2)}x`,
        `   add(): hit ${fmt(cached.add.hit.callsPerSec)} vs uncached ${fmt(cached.add.uncached.callsPerSec)} calls/s → ${fmt(cached.add.hitVsUncached, 2)}x (what a hit itself costs)`,
      );
    }
    const telemetry = results.cells[workload.id].ours;
    if (workload.id === 'telemetry' && telemetry?.off) {
      lines.push(
        `   off ${fmt(telemetry.off.callsPerSec)}, API without SDK ${fmt(telemetry.callsPerSec)} → ${fmt(telemetry.apiVsOff, 2)}x, ` +
          `SDK sampling every span ${fmt(telemetry.sdk.callsPerSec)} → ${fmt(telemetry.sdkVsOff, 2)}x calls/s`,
      );
    }
    const sweep = results.cells[workload.id].ours;
    if (workload.id === 'streamwindow' && sweep?.byWindow) {
      for (const [kind, byWindow] of Object.entries(sweep.byWindow)) {
        const cpu = sweep.cpuUsPerItemByWindow[kind];
        const figures = Object.entries(byWindow).map(([w, v]) => `${w}: ${fmt(v)} (${fmt(cpu[w], 2)} µs)`);
        lines.push(`   ${kind === 'small' ? 'small items' : 'items of 64 KiB'}, items/s (CPU µs per item, both sides) by reader window: ${figures.join(', ')}`);
      }
    }
    const logging = results.cells[workload.id].ours;
    if (workload.id === 'logging' && logging?.silent) {
      lines.push(
        `   silent ${fmt(logging.silent.callsPerSec)}, level off (info) ${fmt(logging.callsPerSec)} → ${fmt(logging.offVsSilent, 2)}x, ` +
          `on (debug, every call) ${fmt(logging.on.callsPerSec)} → ${fmt(logging.onVsSilent, 2)}x calls/s`,
      );
    }
  }
  return lines.join('\n');
}

/** The goals of issue 18 (and issue 16's telemetry goal), each computed from figures of this run. */
export function evaluateTargets(results) {
  const c = results.cells;
  const v = (w, p, key = 'value') => (typeof c[w]?.[p] === 'object' ? c[w][p][key] : undefined);
  const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? round(a / b, 2) : undefined);
  // Every ratio must be there: a missing one leaves the target unmeasured rather than met.
  const lowest = (ratios) => (ratios.every((r) => typeof r === 'number') ? Math.min(...ratios) : undefined);
  const targets = [
    { id: 'sequential', text: 'sequential calls/s ≥ 1.0x raw net', actual: ratio(v('sequential', 'ours'), v('sequential', 'net')), goal: 1.0 },
    {
      id: 'sequential-p50',
      text: 'sequential p50 ≤ 1.0x raw net',
      actual: ratio(v('sequential', 'ours', 'p50Us'), v('sequential', 'net', 'p50Us')),
      goal: 1.0,
      atMost: true,
    },
    { id: 'inflight64', text: '64 in flight ≥ 1.5x raw net unbatched', actual: ratio(v('inflight64', 'ours'), v('inflight64', 'net')), goal: 1.5 },
    {
      id: 'inflight64-batched',
      text: '64 in flight ≥ 1.3x raw net coalesced',
      actual: ratio(v('inflight64', 'ours'), v('inflight64', 'net-batched')),
      goal: 1.3,
    },
    {
      id: 'multi8x8',
      text: '8 clients x 8 in flight ≥ 1.0x raw net coalesced',
      actual: ratio(v('multi8x8', 'ours'), v('multi8x8', 'net-batched')),
      goal: 1.0,
    },
    { id: 'echo1m', text: '1 MiB echo ≥ 1.0x ZeroMQ', actual: ratio(v('echo1m', 'ours'), v('echo1m', 'zmq')), goal: 1.0 },
    {
      id: 'stream100k',
      text: 'stream items/s (100,000 small, default window) ≥ 0.5x our 64-in-flight calls/s',
      actual: ratio(v('stream100k', 'ours'), v('inflight64', 'ours')),
      goal: 0.5,
    },
    {
      id: 'stream64k',
      text: 'stream items/s (1,000 of 64 KiB, default window) ≥ 0.5x our 64-in-flight calls/s',
      actual: ratio(v('stream64k', 'ours'), v('inflight64', 'ours')),
      goal: 0.5,
    },
    {
      id: 'js-peers',
      text: 'ahead of capnweb and birpc on sequential, 64 in flight and 1 MiB echo (lowest ratio)',
      actual: lowest(['sequential', 'inflight64', 'echo1m'].flatMap((w) => ['capnweb', 'birpc'].map((p) => ratio(v(w, 'ours'), v(w, p))))),
      goal: 1.0,
    },
    { id: 'logging', text: 'the default log level ≥ 0.97x silent (nothing measurable)', actual: v('logging', 'ours', 'offVsSilent'), goal: 0.97 },
    { id: 'telemetry', text: 'telemetry: API loaded, no SDK ≥ 0.97x off (issue 16)', actual: v('telemetry', 'ours', 'apiVsOff'), goal: 0.97 },
    { id: 'init', text: 'init() → first answer ≤ 1.3x raw net', actual: ratio(v('init', 'ours'), v('init', 'net')), goal: 1.3, atMost: true },
    { id: 'cached', text: 'LRU hit ≥ 1.2x uncached', actual: v('cached', 'ours', 'hitVsUncached'), goal: 1.2 },
    { id: 'idle1000', text: '1,000 idle connections < 100 MiB RSS', actual: v('idle1000', 'ours'), goal: 100, atMost: true, unit: 'MiB' },
  ];
  for (const t of targets) {
    if (typeof t.actual !== 'number') t.met = null;
    else if (t.atMost) t.met = t.actual <= t.goal;
    else if (t.above) t.met = t.actual > t.goal;
    else t.met = t.actual >= t.goal;
  }
  return targets;
}

export function renderTargets(targets) {
  return targets
    .map((t) => {
      const state = t.met === null ? 'n/a ' : t.met ? 'MET ' : t.aim ? 'aim ' : 'MISS';
      const actual = typeof t.actual === 'number' ? `${t.actual}${t.unit ? ` ${t.unit}` : 'x'}` : 'n/a';
      return `  [${state}] ${t.text}: ${actual}`;
    })
    .join('\n');
}

/** Whether only lipmodule has a figure for this workload (every peer n/a). */
function isOwnOnly(results, workload) {
  return results.peers.every((peer) => peer.id === 'ours' || results.cells[workload.id][peer.id] === 'n/a');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Small multiples: one panel per workload, one bar per peer, each panel on its own linear scale. */
export function renderChart(results) {
  const width = 960;
  const labelW = 360;
  const barMax = width - labelW - 120;
  const rowH = 18;
  const panels = [];
  let y = 48;
  // A workload only lipmodule runs (LRU, logging, telemetry, callbacks...) would be a panel of empty bars: a line of text instead.
  const ownOnly = results.workloads.filter((workload) => isOwnOnly(results, workload));
  for (const workload of results.workloads.filter((w) => !ownOnly.includes(w))) {
    // Peers that don't run this workload are left out of its panel rather than drawn as empty rows.
    const cells = results.peers.map((p) => [p, results.cells[workload.id][p.id]]).filter(([, c]) => c !== 'n/a');
    const values = cells.map(([, c]) => (typeof c === 'object' && typeof c.value === 'number' ? c.value : 0));
    const max = Math.max(...values, 1e-9);
    const parts = [
      `<text x="12" y="${y}" class="title">${esc(workload.title)} — ${esc(workload.unit)}${workload.lowerIsBetter ? ' (lower is better)' : ''}</text>`,
    ];
    y += 8;
    for (const [peer, cell] of cells) {
      const ours = peer.id === 'ours';
      parts.push(`<text x="${labelW - 8}" y="${y + 13}" class="label" text-anchor="end">${esc(peer.label)}</text>`);
      if (typeof cell === 'object' && typeof cell.value === 'number') {
        const w = Math.max(1, (cell.value / max) * barMax);
        parts.push(`<rect x="${labelW}" y="${y + 2}" width="${round(w, 1)}" height="${rowH - 5}" class="${ours ? 'ours' : 'peer'}"/>`);
        parts.push(
          `<text x="${round(labelW + w + 6, 1)}" y="${y + 13}" class="value">${esc(cell.value.toLocaleString('en-US', { maximumFractionDigits: cell.value < 100 ? 2 : 0 }))}</text>`,
        );
      } else {
        parts.push(`<text x="${labelW + 4}" y="${y + 13}" class="na">${cell?.error ? 'error' : 'n/a'}</text>`);
      }
      y += rowH;
    }
    y += 28;
    panels.push(parts.join('\n'));
  }
  if (ownOnly.length > 0) {
    const parts = [`<text x="12" y="${y}" class="title">lipmodule only (no peer has these)</text>`];
    y += 8;
    for (const workload of ownOnly) {
      const cell = results.cells[workload.id].ours;
      const value =
        typeof cell === 'object' && typeof cell.value === 'number'
          ? cell.value.toLocaleString('en-US', { maximumFractionDigits: cell.value < 100 ? 2 : 0 })
          : 'error';
      parts.push(`<text x="${labelW - 8}" y="${y + 13}" class="label" text-anchor="end">${esc(workload.title)}</text>`);
      parts.push(`<text x="${labelW}" y="${y + 13}" class="value">${esc(`${value} ${workload.unit}`)}</text>`);
      y += rowH;
    }
    y += 28;
    panels.push(parts.join('\n'));
  }
  const height = y;
  const meta = results.meta;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
  .head { font-size: 16px; font-weight: 600; fill: #222; }
  .sub { font-size: 11px; fill: #666; }
  .title { font-size: 13px; font-weight: 600; fill: #222; }
  .label { font-size: 11px; fill: #333; }
  .value { font-size: 11px; fill: #333; }
  .na { font-size: 11px; fill: #999; font-style: italic; }
  .ours { fill: #d9480f; }
  .peer { fill: #868e96; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" class="head">lipmodule vs peers on Unix sockets${meta.quick ? ' (quick run)' : ''}</text>
<text x="12" y="36" class="sub">${esc(`${meta.date} · Node ${meta.node} · ${meta.cpus} cores · each panel on its own scale`)}</text>
${panels.join('\n')}
</svg>
`;
}

/**
 * Each figure of this run beside the same figure of a previous results file, with new ÷ old
 * (old ÷ new where lower is better), so above 1 always means this run did better.
 */
export function renderComparison(results, previous, label) {
  const lines = [`Compared with ${label} (${previous.meta?.date ?? 'undated'}; above 1x: this run did better):`];
  const rows = [['workload', 'peer', 'before', 'now', 'now ÷ before']];
  for (const workload of results.workloads) {
    for (const peer of results.peers) {
      const now = results.values[workload.id]?.[peer.id];
      const before = previous.values?.[workload.id]?.[peer.id];
      if (typeof now !== 'number' || typeof before !== 'number' || now === 0 || before === 0) continue;
      const ratio = workload.lowerIsBetter ? before / now : now / before;
      rows.push([workload.id, peer.id, fmt(before, before < 100 ? 2 : 0), fmt(now, now < 100 ? 2 : 0), `${fmt(ratio, 2)}x`]);
    }
  }
  if (rows.length === 1) return `${lines[0]}\n  no figure of this run is in it`;
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) lines.push(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  return lines.join('\n');
}
