/** add(a, b) from 8 client processes with 8 in flight each: does the server use the second core's headroom? */
import { measureLoad } from '../lib/load.mjs';

export default {
  id: 'multi8x8',
  title: 'add(a, b), 8 client processes x 8 in flight',
  rounds: true,
  unit: 'calls/s',
  peers: ['ours', 'net', 'net-batched', 'grpc', 'zmq', 'jayson'],
  run: (peer, settings) => measureLoad({ peer, settings, fn: 'add', inflight: 8, clients: 8 }),
};
