/** Human-readable figures and tables for terminal output. */
import { visibleLength } from './style.js';

/** `3d 4h`, `2h 5m`, `4m 10s`, `12s`. */
export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** Milliseconds with a precision that suits their size. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** First line of a doc, or '' when there is none. */
export function firstLine(doc: string | null | undefined): string {
  return doc?.trim().split('\n', 1)[0]?.trim() ?? '';
}

/** Left-aligned columns separated by two spaces; cells may carry ANSI colour. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], maxWidths: readonly number[] = []): string {
  const clip = (cell: string, i: number) => {
    const max = maxWidths[i];
    return max !== undefined && visibleLength(cell) > max ? `${cell.slice(0, max - 1)}…` : cell;
  };
  const all = [header, ...rows].map((row) => row.map(clip));
  const widths = header.map((_, i) => Math.max(...all.map((row) => visibleLength(row[i] ?? ''))));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
