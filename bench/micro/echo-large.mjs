// Micro-benchmark for issue 18: one client echoing a large Buffer through a
// server in a child process, one call in flight. Prints wall MiB/s and the CPU
// each side spent per call (user+sys, less noisy than wall time on a shared
// machine). After `npm run build`:
//   node bench/micro/echo-large.mjs [calls=200] [bytes=1048576] [dist=../../dist]
// A child started with `server <dir> <dist>` serves `echo`; add --cpu-prof to NODE_OPTIONS to profile both.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const usage = () => {
  const u = process.resourceUsage();
  return { cpuUs: u.userCPUTime + u.systemCPUTime, faults: u.minorPageFault + u.majorPageFault };
};

if (process.argv[2] === 'server') {
  const [, , , dir, dist] = process.argv;
  const { LIPModule } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const echo = LIPModule({ logLevel: 'silent', socketDir: dir })(function echo(value) {
    return value;
  });
  await echo.init();
  process.on('message', async (message) => {
    if (message === 'usage') process.send(usage());
    else if (message === 'stop') {
      await echo.exit({ timeoutMs: 1000 });
      process.exit(0);
    }
  });
  process.send({ ready: true });
} else {
  const calls = Number(process.argv[2] ?? 200);
  const bytes = Number(process.argv[3] ?? 1 << 20);
  const dist = resolve(process.argv[4] ?? fileURLToPath(new URL('../../dist', import.meta.url)));
  const { LIPClient } = await import(pathToFileURL(join(dist, 'index.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'lip-echo-'));
  const child = fork(fileURLToPath(import.meta.url), ['server', dir, dist]);
  const ask = (message) =>
    new Promise((res) => {
      child.once('message', res);
      if (message) child.send(message);
    });
  await ask();
  const client = new LIPClient({ socketDir: dir });
  const payload = Buffer.alloc(bytes, 7);
  for (let i = 0; i < 20; i++) await client.callFunction('echo', [payload]);
  const serverBefore = await ask('usage');
  const before = usage();
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    const back = await client.callFunction('echo', [payload]);
    if (back.length !== bytes) throw new Error('short echo');
  }
  const ms = performance.now() - start;
  const clientAfter = usage();
  const serverAfter = await ask('usage');
  console.log(
    JSON.stringify({
      mibPerSec: Math.round(((calls * bytes) / (1 << 20) / (ms / 1000)) * 10) / 10,
      clientCpuUsPerCall: Math.round((clientAfter.cpuUs - before.cpuUs) / calls),
      serverCpuUsPerCall: Math.round((serverAfter.cpuUs - serverBefore.cpuUs) / calls),
      clientFaultsPerCall: Math.round((clientAfter.faults - before.faults) / calls),
      serverFaultsPerCall: Math.round((serverAfter.faults - serverBefore.faults) / calls),
    }),
  );
  await client.close();
  child.send('stop');
  await new Promise((res) => child.once('exit', res));
  rmSync(dir, { recursive: true, force: true });
}
