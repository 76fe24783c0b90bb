/**
 * From the server's start call (our init(), bind/listen for the others) to the
 * first answered call of a client that connects as soon as it is told the server
 * is up. Includes one IPC hop from the runner. Each repetition is a fresh server.
 */
import { median, percentile, round } from '../lib/stats.mjs';
import { Child, startClient, tempDir } from '../lib/proc.mjs';

export default {
  id: 'init',
  title: 'start serving → first answered call',
  unit: 'ms',
  lowerIsBetter: true,
  peers: ['ours', 'net', 'net-batched', 'grpc', 'zmq', 'jayson', 'python', 'capnweb', 'birpc'],
  async run(peer, settings) {
    const times = [];
    for (let rep = 0; rep < settings.initReps; rep++) {
      const tmp = tempDir();
      const server = new Child('server.mjs', [peer, JSON.stringify({ dir: tmp.dir, mode: 'init', waitGo: true })]);
      const client = startClient(peer, { dir: tmp.dir, command: 'init' });
      try {
        client.send({ type: 'init' });
        // Both processes have loaded their modules before the clock starts.
        await Promise.all([server.next('loaded'), client.next('loaded')]);
        server.send({ type: 'go' });
        const { t0 } = await server.next('ready');
        client.send({ type: 'call' });
        const { t1 } = await client.next('answered');
        times.push(t1 - t0);
      } finally {
        await client.stop();
        await server.stop();
        tmp.remove();
      }
    }
    return {
      value: round(median(times), 2),
      unit: 'ms',
      p50Us: round(median(times) * 1000),
      p99Us: round(percentile(times, 99) * 1000),
      runsMs: times.map((t) => round(t, 2)),
    };
  },
};
