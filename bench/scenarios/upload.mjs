/**
 * Upload throughput (issue 19): 4 MiB sent through an async-generator argument in 64 KiB chunks,
 * pulled with credit, one call at a time; the figure is MiB/s. Compare with echo1m in the same run.
 */
import { measureLoad } from '../lib/load.mjs';

const UPLOAD_BYTES = 4 << 20;

export default {
  id: 'upload',
  title: '4 MiB upload through an async generator (64 KiB chunks)',
  rounds: true,
  unit: 'MiB/s',
  peers: ['ours'],
  async run(peer, settings) {
    const cell = await measureLoad({ peer, settings, fn: 'upload', inflight: 1, payloadBytes: UPLOAD_BYTES });
    return { ...cell, value: cell.mibPerSec, unit: 'MiB/s' };
  },
};
