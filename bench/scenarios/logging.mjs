/**
 * What logging costs per call, ours only, 64 calls in flight (CPU-bound, so a
 * per-call cost shows): `add` with logging silent, at 'info' (per-call debug
 * lines off: the "costs nothing measurable when off"), and at 'debug'
 * writing every call's line to /dev/null (what it costs when on).
 */
import { measureLoad } from '../lib/load.mjs';
import { measureModes } from '../lib/modes.mjs';

export default {
  id: 'logging',
  title: 'add(a, b), 64 in flight: logging silent / level off / on',
  unit: 'calls/s',
  peers: ['ours'],
  async run(peer, settings) {
    const common = { peer, settings, inflight: 64 };
    const { silent, off, on } = await measureModes(settings, {
      silent: () => measureLoad({ ...common, fn: 'add' }),
      off: () => measureLoad({ ...common, fn: 'addInfo' }),
      on: () => measureLoad({ ...common, fn: 'addDebug' }),
    });
    const ratio = (a, b) => Math.round((a.callsPerSec / b.callsPerSec) * 100) / 100;
    return { ...off, silent, on, offVsSilent: ratio(off, silent), onVsSilent: ratio(on, silent) };
  },
};
