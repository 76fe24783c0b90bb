/** Many calls over NATS at once, with something done to the system part way (a replica or a server killed). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LIPClient } from '../../src/index.js';

export interface LoadOutcome {
  /** Calls answered with the right value, by the answering replica's pid. */
  answered: Map<number, number>;
  /** The calls that failed, by index, with their error. */
  failures: Map<number, Error>;
}

/** Calls `fn(i)` for i < total, `inFlight` at a time, running `midway` once a third are sent; checks each answer is for its own i. */
export async function loadWith(
  client: LIPClient,
  fn: string,
  options: { total: number; inFlight: number; timeoutMs: number; midway: () => void },
): Promise<LoadOutcome> {
  const answered = new Map<number, number>();
  const failures = new Map<number, Error>();
  let next = 0;
  let done = false;
  const worker = async () => {
    while (next < options.total) {
      const i = next++;
      if (i === Math.floor(options.total / 3) && !done) {
        done = true;
        options.midway();
      }
      try {
        const { i: echoed, pid } = (await client.callFunction(fn, [i], {}, { timeoutMs: options.timeoutMs })) as { i: number; pid: number };
        if (echoed !== i) throw new Error(`call ${i} got the answer of call ${echoed}`);
        answered.set(pid, (answered.get(pid) ?? 0) + 1);
      } catch (error) {
        failures.set(i, error as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  return { answered, failures };
}

/** How many times each call of `fn` ran, over every replica's runs file in `dir`. */
export function runsOf(dir: string, fn: string): Map<number, number> {
  const runs = new Map<number, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const [name, i] = line.split(' ');
      if (name === fn) runs.set(Number(i), (runs.get(Number(i)) ?? 0) + 1);
    }
  }
  return runs;
}

/** "12 LIPTimeoutError, 1 LIPConnectionError" */
export function summarize(failures: Map<number, Error>): string {
  const byName = new Map<string, number>();
  for (const error of failures.values()) byName.set(error.name, (byName.get(error.name) ?? 0) + 1);
  return [...byName].map(([name, n]) => `${n} ${name}`).join(', ') || 'none';
}
