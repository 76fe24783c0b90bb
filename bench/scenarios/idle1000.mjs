/** RSS of the server process holding 1,000 idle, established connections (each greeted with one round trip). */
import { round } from '../lib/stats.mjs';
import { startClient, startServer, tempDir } from '../lib/proc.mjs';

export default {
  id: 'idle1000',
  title: 'server RSS with 1,000 idle connections',
  unit: 'MiB',
  lowerIsBetter: true,
  peers: ['ours', 'net', 'net-batched', 'grpc', 'zmq', 'jayson'],
  async run(peer, settings) {
    const tmp = tempDir();
    let server;
    let client;
    try {
      server = await startServer(peer, { dir: tmp.dir });
      const base = await server.request({ type: 'usage' }, 'usage');
      client = startClient(peer, { dir: tmp.dir, command: 'idle' });
      client.send({ type: 'idle', n: settings.idleConnections });
      await client.next('opened', 120_000);
      // Let the server settle (lazy allocations, GC) before reading its RSS.
      await new Promise((resolve) => setTimeout(resolve, settings.idleSettleMs));
      const held = await server.request({ type: 'usage' }, 'usage');
      const mib = (bytes) => round(bytes / (1 << 20), 1);
      return {
        value: mib(held.rss),
        unit: 'MiB',
        rssMiB: mib(held.rss),
        baseRssMiB: mib(base.rss),
        perConnectionKiB: round((held.rss - base.rss) / 1024 / settings.idleConnections, 1),
        connections: settings.idleConnections,
      };
    } finally {
      await client?.stop(10_000);
      await server?.stop();
      tmp.remove();
    }
  },
};
