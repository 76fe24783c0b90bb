/** A 1 MiB Buffer echoed back, one call in flight: copies of payload bytes dominate. */
import { measureLoad } from '../lib/load.mjs';

export default {
  id: 'echo1m',
  title: '1 MiB Buffer echo (1 in flight)',
  rounds: true,
  unit: 'MiB/s',
  peers: ['ours', 'net', 'net-batched', 'grpc', 'zmq', 'jayson', 'capnweb', 'birpc', 'nats'],
  async run(peer, settings) {
    const cell = await measureLoad({ peer, settings, fn: 'echo', inflight: 1, payloadBytes: 1 << 20 });
    return { ...cell, value: cell.mibPerSec, unit: 'MiB/s' };
  },
};
