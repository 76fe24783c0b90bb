/** add(a, b) with one call in flight: pure round-trip latency. */
import { measureLoad } from '../lib/load.mjs';

export default {
  id: 'sequential',
  title: 'add(a, b), sequential (1 in flight)',
  rounds: true,
  unit: 'calls/s',
  peers: ['ours', 'net', 'net-batched', 'grpc', 'zmq', 'jayson', 'python', 'capnweb', 'birpc', 'nats'],
  run: (peer, settings) => measureLoad({ peer, settings, fn: 'add', inflight: 1 }),
};
