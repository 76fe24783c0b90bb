/** A fresh client lists the functions of a directory with 100 served, then calls one. */
import { median, percentile, round } from '../lib/stats.mjs';
import { startClient, startServer, tempDir } from '../lib/proc.mjs';

export default {
  id: 'list100',
  title: 'fresh client: listFunctions() (100 served) + one call',
  unit: 'ms',
  lowerIsBetter: true,
  peers: ['ours'],
  async run(peer, settings) {
    const tmp = tempDir();
    let server;
    let client;
    try {
      server = await startServer(peer, { dir: tmp.dir, mode: 'list100' });
      client = startClient(peer, { dir: tmp.dir, command: 'list' });
      const before = await server.request({ type: 'usage' }, 'usage');
      client.send({ type: 'list', reps: settings.listReps });
      const result = await client.next('result');
      const after = await server.request({ type: 'usage' }, 'usage');
      const ms = median(result.samples) / 1000;
      return {
        value: round(ms, 2),
        unit: 'ms',
        p50Us: round(median(result.samples)),
        p99Us: round(percentile(result.samples, 99)),
        clientCpuUsPerCall: round(result.cpuUs / result.total),
        serverCpuUsPerCall: round((after.cpuUs - before.cpuUs) / result.total),
        reps: result.total,
      };
    } finally {
      await client?.stop();
      await server?.stop();
      tmp.remove();
    }
  },
};
