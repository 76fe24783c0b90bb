/**
 * What issue 16's telemetry costs per call, ours only, 64 calls in flight
 * (CPU-bound, so a per-call cost shows), server and client alike: nothing of
 * OpenTelemetry registered (off); the API in use with no SDK (api: the goal is
 * ≥ 0.97x of off); an SDK registered and every span sampled (sdk: measured).
 */
import { measureLoad } from '../lib/load.mjs';
import { measureModes } from '../lib/modes.mjs';

export default {
  id: 'telemetry',
  title: 'add(a, b), 64 in flight: telemetry off / API, no SDK / SDK sampling all',
  unit: 'calls/s',
  peers: ['ours'],
  async run(peer, settings) {
    const load = (telemetry) => () => measureLoad({ peer, settings, fn: 'add', inflight: 64, serverConfig: { telemetry }, clientConfig: { telemetry } });
    const { off, api, sdk } = await measureModes(settings, { off: load('off'), api: load('api'), sdk: load('sdk') });
    const ratio = (a, b) => Math.round((a.callsPerSec / b.callsPerSec) * 100) / 100;
    return { ...api, off, sdk, apiVsOff: ratio(api, off), sdkVsOff: ratio(sdk, off) };
  },
};
