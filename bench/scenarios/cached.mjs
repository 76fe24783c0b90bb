/**
 * The `lru` option: a hit against an uncached call of the same function, one
 * call in flight. `work(2000)` costs about 15 µs of CPU (worth caching);
 * `add` costs nothing, so its pair shows what a hit itself costs.
 */
import { measureLoad } from '../lib/load.mjs';

const WORK_N = 2000;

export default {
  id: 'cached',
  title: 'LRU hit vs uncached (work(2000) ~15 µs), sequential',
  unit: 'calls/s',
  peers: ['ours'],
  async run(peer, settings) {
    // Three timed windows per variant, median taken (this workload is not run in rounds).
    const common = {
      peer,
      settings: { ...settings, windows: settings.rounds > 1 ? 3 : settings.windows },
      inflight: 1,
      clientConfig: { workN: WORK_N, fixedArgs: true },
    };
    const uncached = await measureLoad({ ...common, fn: 'work' });
    const hit = await measureLoad({ ...common, fn: 'workc' });
    const addUncached = await measureLoad({ ...common, fn: 'add' });
    const addHit = await measureLoad({ ...common, fn: 'addc' });
    return {
      ...hit,
      uncached,
      hitVsUncached: Math.round((hit.callsPerSec / uncached.callsPerSec) * 100) / 100,
      add: { hit: addHit, uncached: addUncached, hitVsUncached: Math.round((addHit.callsPerSec / addUncached.callsPerSec) * 100) / 100 },
    };
  },
};
