// Instructions per call, not time: `add(a, b)` served and called in this one
// process (64 in flight over the Unix socket), with OpenTelemetry off or with
// the API in use and no SDK (a context manager and a propagator registered,
// as the `telemetry` bench workload's `api` row). Run under callgrind twice
// per mode, with two call counts; the difference of the totals divided by the
// difference of the counts is the cost of one call, both sides, start-up
// excluded. Immune to the noise of a shared machine. An optional third
// argument sets the calls in flight (default 64; 1 is the sequential call).
// After `npm run build`:
//
//   for mode in off api; do for n in 2000 6000; do
//     valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/dev/null \
//       node bench/micro/telemetry-instructions.mjs $mode $n [inflight] 2>&1 | grep Collected
//   done; done
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setUpTelemetry } from '../lib/telemetry.mjs';

const [mode = 'off', count = '2000', inflight = '64'] = process.argv.slice(2);
const calls = Number(count);
setUpTelemetry(mode);
const { LIPClient, LIPModule } = await import('../../dist/index.js');

const dir = mkdtempSync(join(tmpdir(), 'lip-instr-'));
const add = LIPModule({ logLevel: 'silent' })(function add(a, b) {
  return a + b;
});
await add.init({ socketDir: dir });
const client = new LIPClient({ socketDir: dir });
await client.callFunction('add', [1, 2]);
let next = 0;
async function worker() {
  while (next < calls) {
    next++;
    await client.callFunction('add', [next, 1]);
  }
}
await Promise.all(Array.from({ length: Number(inflight) }, worker));
await client.close();
await add.exit();
rmSync(dir, { recursive: true, force: true });
console.log(`${mode}: ${calls} calls, ${inflight} in flight`);
