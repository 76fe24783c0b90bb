/**
 * `npm run fuzz`: the long fuzz. FUZZ_CASES (default 100000) split between the
 * grammar and random bytes, against a real server process, with a good client
 * checked throughout. Prints cases, errors, closes and the server's RSS.
 */
import { LIPClient } from '../../src/index.js';
import { startFixture } from '../helpers/fixture-server.js';
import { runScript } from '../helpers/script-run.js';
import { socketDir, tempDir } from '../helpers/temp-dir.js';
import { fuzzBytes, fuzzGrammar } from '../helpers/wire-fuzzer.js';

const total = Number(process.env.FUZZ_CASES ?? process.argv[2] ?? '100000');
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
await runScript(async (t) => {
  const dir = socketDir(t);
  const cwd = tempDir(t, '/tmp/lipt-cwd-');
  const server = await startFixture(t, 'target-server.ts', dir, { TARGET_CWD: cwd, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc` });
  const good = new LIPClient({ socketDir: dir });
  t.after(() => good.destroy());
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
  return { failed: !figures.serverAlive || figures.polluted || grammar.invalidFrames + bytes.invalidFrames + grammar.goodFailures + bytes.goodFailures > 0 };
});
