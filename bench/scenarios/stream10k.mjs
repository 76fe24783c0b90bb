/** A stream of 10,000 small items read to its end, one stream at a time: items/s under the reader's credit. */
import { measureLoad } from '../lib/load.mjs';

const ITEMS = 10_000;

export default {
  id: 'stream10k',
  title: 'a stream of 10,000 items read to its end (1 in flight)',
  rounds: true,
  unit: 'items/s',
  peers: ['ours', 'nats'],
  async run(peer, settings) {
    const cell = await measureLoad({ peer, settings, fn: 'count', inflight: 1, clientConfig: { streamItems: ITEMS } });
    return { ...cell, value: Math.round(cell.callsPerSec * ITEMS), unit: 'items/s', itemsPerSec: Math.round(cell.callsPerSec * ITEMS) };
  },
};
