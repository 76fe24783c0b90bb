/** A generator of 100,000 small items (integers) read to its end, default window: items/s, the per-item cost. */
import { measureStream } from '../lib/stream-load.mjs';

export default {
  id: 'stream100k',
  title: 'stream of 100,000 small items read to the end (default window)',
  rounds: true,
  unit: 'items/s',
  peers: ['ours', 'net', 'grpc', 'nats'],
  run: (peer, settings) => measureStream({ peer, settings, items: 100_000 }),
};
