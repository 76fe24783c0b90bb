/**
 * Server process of one benchmark cell: `node bench/server.mjs <peer> <config json>`.
 * Serves through the peer's own API and answers the runner over IPC:
 * `usage` → CPU time and RSS of the serving process, `stop` → close and exit.
 */
import { loadPeer } from './peers/index.mjs';
import { ownCpuUs } from './lib/usage.mjs';

const [peerId, configJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
// Listening before anything async: IPC messages that arrive with no listener are lost.
const go = new Promise((resolve) => process.once('message', resolve));
// The runner going away ends us too.
process.on('disconnect', () => process.exit(0));
// The `telemetry` workload: what the application registered of OpenTelemetry, before lipmodule runs a call.
if (config.telemetry) (await import('./lib/telemetry.mjs')).setUpTelemetry(config.telemetry);
const peer = await loadPeer(peerId);

if (config.waitGo) {
  process.send({ type: 'loaded' });
  await go;
}
const t0 = performance.timeOrigin + performance.now();
const handle = await peer.module.serve({ ...peer.options, ...config });
process.send({ type: 'ready', t0: handle.t0 ?? t0 });

process.on('message', async (message) => {
  if (message.type === 'usage') {
    process.send({
      type: 'usage',
      cpuUs: handle.cpuUs ? handle.cpuUs() : ownCpuUs(),
      rss: handle.rss ? handle.rss() : process.memoryUsage().rss,
    });
  } else if (message.type === 'stop') {
    await Promise.race([handle.close(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    process.exit(0);
  }
});
