/** CPU time and RSS of this process, plus any helper process it runs (the Python peer). */
import { readFileSync } from 'node:fs';

const TICK_US = 1e6 / 100; // Linux USER_HZ

/** user+system CPU of another process, in µs (from /proc; 10 ms resolution). */
export function procCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

export function procRssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

export function ownCpuUs() {
  const { user, system } = process.cpuUsage();
  return user + system;
}
