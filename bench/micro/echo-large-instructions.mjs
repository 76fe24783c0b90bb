// Instructions per call, not time: a Buffer of `bytes` echoed `calls` times by a
// function served in this one process (one call in flight over the Unix
// socket). Run under callgrind with two call counts; the difference of the
// totals divided by the difference of the counts is the cost of one call, both
// sides, start-up excluded (user space only: the kernel's copies and page
// faults are not in it; echo-large.mjs prints the faults). After `npm run build`:
//
//   for n in 20 60; do
//     valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/dev/null \
//       node bench/micro/echo-large-instructions.mjs $n 1048576 2>&1 | grep Collected
//   done
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [count = '20', size = String(1 << 20), distArg] = process.argv.slice(2);
const calls = Number(count);
const dist = resolve(distArg ?? fileURLToPath(new URL('../../dist', import.meta.url)));
const { LIPClient, LIPModule } = await import(pathToFileURL(join(dist, 'index.js')).href);

const dir = mkdtempSync(join(tmpdir(), 'lip-echo-instr-'));
const echo = LIPModule({ logLevel: 'silent' })(function echo(value) {
  return value;
});
await echo.init({ socketDir: dir });
const client = new LIPClient({ socketDir: dir });
const payload = Buffer.alloc(Number(size), 7);
for (let i = 0; i < calls; i++) {
  const back = await client.callFunction('echo', [payload]);
  if (back.length !== payload.length) throw new Error('short echo');
}
await client.close();
await echo.exit();
rmSync(dir, { recursive: true, force: true });
console.log(`${calls} calls of ${size} bytes`);
