/**
 * `npm run soak`: SOAK_PROCS client processes (8) x SOAK_CALLS calls (100,000),
 * SOAK_INFLIGHT in flight (64), payloads log-uniform up to SOAK_MAX_BYTES
 * (1 MiB), against one server also asked for stats. Prints the figures,
 * RSS at start, peak and end included; exits 1 on any loss, mix-up or error.
 * Also: `npm run soak -- <procs> <calls>`.
 */
import { runScript } from '../helpers/script-run.js';
import { runSoak } from '../helpers/soak-runner.js';
import { socketDir } from '../helpers/temp-dir.js';

const [argProcs, argCalls] = process.argv.slice(2);
const config = {
  procs: Number(argProcs ?? process.env.SOAK_PROCS ?? '8'),
  calls: Number(argCalls ?? process.env.SOAK_CALLS ?? '100000'),
  inflight: Number(process.env.SOAK_INFLIGHT ?? '64'),
  maxBytes: Number(process.env.SOAK_MAX_BYTES ?? String(1 << 20)),
};
await runScript(async (t) => {
  const dir = socketDir(t);
  console.log(`soak: ${config.procs} processes x ${config.calls} calls, ${config.inflight} in flight, payloads up to ${config.maxBytes} bytes`);
  const figures = await runSoak(t, dir, config);
  console.log(JSON.stringify(figures, null, 2));
  return { failed: figures.errors > 0 || figures.mismatches > 0 || figures.ok !== config.procs * config.calls || !figures.serverAlive };
});
