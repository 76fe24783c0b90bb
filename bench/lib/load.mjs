/**
 * One throughput measurement: a server process, `clients` client processes
 * with `inflight` calls each, a warm-up, then timed windows. Server CPU is read
 * from the server process around the timed part; client CPU in each client.
 */
import { median, percentile, round } from './stats.mjs';
import { startClient, startServer, tempDir } from './proc.mjs';

export async function measureLoad({ peer, settings, fn, inflight, clients = 1, serverConfig = {}, clientConfig = {}, payloadBytes }) {
  const tmp = tempDir();
  let server;
  const kids = [];
  try {
    server = await startServer(peer, { dir: tmp.dir, ...serverConfig });
    for (let k = 0; k < clients; k++) kids.push(startClient(peer, { dir: tmp.dir, command: 'load', payloadBytes, ...clientConfig }));
    for (const kid of kids) {
      kid.send({ type: 'load', fn, inflight, warmupMs: settings.warmupMs, windows: settings.windows, windowMs: settings.windowMs });
    }
    await Promise.all(kids.map((kid) => kid.next('warm')));
    const before = await server.request({ type: 'usage' }, 'usage');
    for (const kid of kids) kid.send({ type: 'go' });
    const results = await Promise.all(kids.map((kid) => kid.next('result')));
    const after = await server.request({ type: 'usage' }, 'usage');
    return summarize(results, after.cpuUs - before.cpuUs, payloadBytes);
  } finally {
    await Promise.all(kids.map((kid) => kid.stop()));
    await server?.stop();
    tmp.remove();
  }
}

function summarize(results, serverCpuUs, payloadBytes) {
  const windows = results[0].counts.length;
  // Each client's windows are on its own clock; the aggregate rate of window i is the sum of the clients' rates.
  const rates = Array.from({ length: windows }, (_, i) => results.reduce((sum, r) => sum + (r.counts[i] ?? 0) / ((r.durations[i] ?? Infinity) / 1000), 0));
  const callsPerSec = median(rates);
  const total = results.reduce((sum, r) => sum + r.total, 0);
  const samples = results.length === 1 ? results[0].samples : Float64Array.from(results.flatMap((r) => Array.from(r.samples)));
  // A slow "call" (a whole stream) runs a few times a second: keep its rate's decimals.
  const rate = round(callsPerSec, callsPerSec < 100 ? 3 : 0);
  const cell = {
    value: rate,
    unit: 'calls/s',
    callsPerSec: rate,
    windowRates: rates.map((r) => round(r)),
    p50Us: round(percentile(samples, 50), 1),
    p99Us: round(percentile(samples, 99), 1),
    clientCpuUsPerCall: round(results.reduce((sum, r) => sum + r.cpuUs, 0) / total, 2),
    serverCpuUsPerCall: round(serverCpuUs / total, 2),
    calls: total,
  };
  if (payloadBytes) cell.mibPerSec = round((callsPerSec * payloadBytes) / (1 << 20), 1);
  return cell;
}
