/** A generator of 1,000 items of 64 KiB (64 MiB) read to its end, default window: items/s, the payload path of a stream. */
import { measureStream } from '../lib/stream-load.mjs';

export default {
  id: 'stream64k',
  title: 'stream of 1,000 items of 64 KiB read to the end (default window)',
  rounds: true,
  unit: 'items/s',
  peers: ['ours', 'net', 'grpc', 'nats'],
  run: (peer, settings) => measureStream({ peer, settings, items: 1000, itemBytes: 64 * 1024 }),
};
