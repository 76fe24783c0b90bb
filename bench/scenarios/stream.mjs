/**
 * Streams of 2,000 small items, each read to its end, one stream at a time: items/s under the reader's
 * credit. Short enough that a timed window holds several streams.
 */
import { measureLoad } from '../lib/load.mjs';

const ITEMS = 2000;

export default {
  id: 'stream',
  title: 'streams of 2,000 items read to the end (1 in flight)',
  rounds: true,
  unit: 'items/s',
  peers: ['ours', 'nats'],
  async run(peer, settings) {
    const cell = await measureLoad({ peer, settings, fn: 'count', inflight: 1, clientConfig: { streamItems: ITEMS } });
    return { ...cell, value: Math.round(cell.callsPerSec * ITEMS), unit: 'items/s', itemsPerSec: Math.round(cell.callsPerSec * ITEMS) };
  },
};
