/** A process's memory as the kernel charges it, read from /proc (what a test's memory bounds are about). */
import { readFileSync } from 'node:fs';

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kb) throw new Error(`no ${field} for ${pid}`);
  return Number(kb[1]) * 1024;
}

/** Resident memory of a process now, in bytes. */
export function rssOf(pid: number): number {
  return statusKiB(pid, 'VmRSS');
}

/** Peak resident memory of a process so far (VmHWM), in bytes. */
export function peakRssOf(pid: number): number {
  return statusKiB(pid, 'VmHWM');
}

/**
 * Samples a process's RSS every `everyMs` until stopped and keeps the highest figure
 * (`start` included). A process that has just died (a zombie has no VmRSS) adds nothing.
 */
export function sampleRssPeak(pid: number, options: { everyMs: number; start: number }): { peak(): number; stop(): void } {
  let peak = options.start;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // Gone or going: the figures so far stand.
    }
  }, options.everyMs);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}
