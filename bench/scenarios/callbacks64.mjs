/**
 * Callback round trips (issue 19): a served function calls the caller's callback 256 times with 64
 * callback calls in flight, over one connection; the figure is callback calls answered per second.
 * Compare with inflight64 (plain calls, 64 in flight) in the same run.
 */
import { measureLoad } from '../lib/load.mjs';

const CALLBACKS_PER_CALL = 256;

export default {
  id: 'callbacks64',
  title: 'callback round trips, 64 in flight, one connection',
  rounds: true,
  unit: 'callbacks/s',
  peers: ['ours'],
  async run(peer, settings) {
    const cell = await measureLoad({ peer, settings, fn: 'fanout', inflight: 1, clientConfig: { callbacks: CALLBACKS_PER_CALL } });
    return { ...cell, value: Math.round(cell.callsPerSec * CALLBACKS_PER_CALL), unit: 'callbacks/s', callbacksPerCall: CALLBACKS_PER_CALL };
  },
};
