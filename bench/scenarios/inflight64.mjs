/** add(a, b) with 64 calls in flight over one connection: throughput when frames pile up. */
import { measureLoad } from '../lib/load.mjs';

export default {
  id: 'inflight64',
  title: 'add(a, b), 64 in flight, one connection',
  rounds: true,
  unit: 'calls/s',
  peers: ['ours', 'net', 'net-batched', 'grpc', 'zmq', 'jayson', 'capnweb', 'birpc', 'nats'],
  run: (peer, settings) => measureLoad({ peer, settings, fn: 'add', inflight: 64 }),
};
