/**
 * Ours only: the two stream workloads under a few reader windows (the client's `streamWindow`),
 * to choose its default from measurements. The windows take turns, round after round; each keeps
 * its median round. The cell's value is the small-item stream under the default window.
 */
import { median, round } from '../lib/stats.mjs';
import { measureStream } from '../lib/stream-load.mjs';

const WINDOWS = [16, 64, 256, 1024];
const KINDS = { small: { items: 100_000 }, large: { items: 1000, itemBytes: 64 * 1024 } };
// A quick run (one round) only shows that the sweep works: two windows, streams a tenth as long.
const QUICK_WINDOWS = [16, 256];
const QUICK_KINDS = { small: { items: 10_000 }, large: { items: 100, itemBytes: 64 * 1024 } };

export default {
  id: 'streamwindow',
  title: 'reader-window sweep (value: 100,000 small items, default window)',
  unit: 'items/s',
  peers: ['ours'],
  async run(peer, settings) {
    const full = settings.rounds > 1;
    const [kinds, windows] = full ? [KINDS, WINDOWS] : [QUICK_KINDS, QUICK_WINDOWS];
    const runs = Object.fromEntries(Object.keys(kinds).map((kind) => [kind, Object.fromEntries(windows.map((w) => [w, []]))]));
    const defaults = [];
    for (let r = 0; r < settings.rounds; r++) {
      defaults.push((await measureStream({ peer, settings, ...kinds.small })).value);
      for (const [kind, shape] of Object.entries(kinds)) {
        for (const streamWindow of windows) runs[kind][streamWindow].push(await measureStream({ peer, settings, ...shape, streamWindow }));
      }
    }
    // Per kind and window: the median of the rounds' items/s, and of their CPU µs per item on both sides.
    const summary = (pick) =>
      Object.fromEntries(
        Object.entries(runs).map(([kind, byWindow]) => [kind, Object.fromEntries(Object.entries(byWindow).map(([w, cells]) => [w, median(cells.map(pick))]))]),
      );
    return {
      value: median(defaults),
      unit: 'items/s',
      byWindow: summary((c) => c.value),
      cpuUsPerItemByWindow: summary((c) => round(c.clientCpuUsPerItem + c.serverCpuUsPerItem, 3)),
      rounds: defaults,
    };
  },
};
