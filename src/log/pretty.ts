/**
 * A log format for people at a terminal (`lip serve` on a TTY, or
 * LIP_LOG_FORMAT=pretty): one short line per record instead of pino's JSON,
 *
 *   14:03:07.412 WARNING fail: 'fail' failed  RangeError: x is out of range (code E_RANGE)  callId=3 ms=0.4
 *
 * with the original's level names, and a stack (logged at debug) on the lines below.
 */
import { writeSync } from 'node:fs';
import { colourEnabled } from './terminal.js';

const LEVELS: Record<number, [name: string, colour: number]> = {
  10: ['TRACE', 2],
  20: ['DEBUG', 2],
  30: ['INFO', 36],
  40: ['WARNING', 33],
  50: ['ERROR', 31],
  60: ['CRITICAL', 31],
};
// Shown in their own place, or not at all.
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'fn', 'msg', 'error', 'err']);

/** A pino destination writing readable lines to `fd` (synchronously, like the JSON one it replaces). */
export function prettyDestination(
  fd: number,
  colour = colourEnabled({ isTTY: fd === 2 ? process.stderr.isTTY : process.stdout.isTTY }),
): { write(line: string): void } {
  return { write: (line: string) => void writeSync(fd, formatRecord(line, colour)) };
}

/** One pino JSON line as text; a line that is not JSON passes unchanged. */
export function formatRecord(line: string, colour: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const [levelName, levelColour] = LEVELS[record.level as number] ?? [String(record.level), 0];
  const time = typeof record.time === 'number' ? clock(new Date(record.time)) : '';
  const head = `${paint(2, time)} ${paint(levelColour, levelName.padEnd(7))} ${record.fn ? `${String(record.fn)}: ` : ''}${String(record.msg ?? '')}`;
  const parts = [head.trimStart()];
  const error = (record.error ?? record.err) as { name?: string; type?: string; message?: string; code?: unknown; stack?: string } | string | undefined;
  let stack = '';
  if (typeof error === 'string') parts.push(paint(levelColour, error));
  else if (error) {
    parts.push(
      paint(levelColour, `${error.name ?? error.type ?? 'Error'}: ${error.message ?? ''}${error.code === undefined ? '' : ` (code ${String(error.code)})`}`),
    );
    if (error.stack)
      stack = error.stack
        .split('\n')
        .slice(1)
        .map((l) => `    ${paint(2, l.trim())}\n`)
        .join('');
  }
  const extra = Object.entries(record)
    .filter(([key]) => !OWN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : typeof value === 'number' ? String(round(value)) : JSON.stringify(value)}`);
  if (extra.length > 0) parts.push(paint(2, extra.join(' ')));
  return `${parts.join('  ')}\n${stack}`;
}

/** Durations to a hundredth of a millisecond: 0.17957000000001244 → 0.18. */
function round(n: number): number {
  return Number.isInteger(n) ? n : Math.round(n * 100) / 100;
}

function clock(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}
