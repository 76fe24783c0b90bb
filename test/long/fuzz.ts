/**
 * `npm run fuzz`: the long fuzz. FUZZ_CASES (default 100000) split between the
 * grammar and random bytes, against a real server process, with a good client
 * checked throughout. Prints cases, errors, closes and the server's RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { LIPClient } from '../../src/index.js';
import { startFixture } from '../helpers.js';
import { fuzzBytes, fuzzGrammar } from './fuzz-lib.js';

const total = Number(process.env.FUZZ_CASES ?? process.argv[2] ?? '100000');
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const cleanups: (() => void)[] = [];
const t = { after: (fn: () => void) => cleanups.push(fn) } as unknown as TestContext;
const dir = mkdtempSync('/tmp/lipt-');
const cwd = mkdtempSync('/tmp/lipt-cwd-');
let failed = false;
try {
  const server = await startFixture(t, 'rel-server.ts', dir, { REL_CWD: cwd, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc` });
  const good = new LIPClient({ socketDir: dir });
  cleanups.push(() => good.destroy());
  type Probe = { rss: number; heapUsed: number; objectPolluted: unknown };
  const before = await good.callFunction<Probe>('probe');
  const started = performance.now();
  const grammar = await fuzzGrammar(dir, good, Math.round(total * 0.6), seed);
  const bytes = await fuzzBytes(dir, good, Math.round(total * 0.4), 20, seed);
  const after = await good.callFunction<Probe>('probe');
  const seconds = (performance.now() - started) / 1000;
  const figures = {
    cases: grammar.cases + bytes.cases,
    seconds: Number(seconds.toFixed(1)),
    grammar,
    bytes,
    serverAlive: server.child.exitCode === null,
    polluted: after.objectPolluted !== undefined,
    serverRssMiB: { before: Number((before.rss / 1048576).toFixed(1)), after: Number((after.rss / 1048576).toFixed(1)) },
    serverHeapUsedMiB: { before: Number((before.heapUsed / 1048576).toFixed(1)), after: Number((after.heapUsed / 1048576).toFixed(1)) },
  };
  console.log(JSON.stringify(figures, null, 2));
  failed = !figures.serverAlive || figures.polluted || grammar.invalidFrames + bytes.invalidFrames + grammar.goodFailures + bytes.goodFailures > 0;
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  for (const fn of cleanups.reverse()) fn();
  rmSync(dir, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
