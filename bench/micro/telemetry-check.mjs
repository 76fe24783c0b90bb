// Micro-benchmark: what activeTelemetry() costs a call when no SDK is registered
// (the check every call path makes), against an empty loop and against a direct
// read of the API's global providers. Run after `npm run build`:
//   node bench/micro/telemetry-check.mjs
import { metrics, trace } from '@opentelemetry/api';
import { activeTelemetry } from '../../dist/telemetry/active.js';

const N = 20_000_000;

function time(label, fn) {
  fn(); // warm up
  const start = process.hrtime.bigint();
  const hits = fn();
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`${label.padEnd(44)} ${ns.toFixed(2)} ns/call  (${hits})`);
}

time('empty loop', () => {
  let n = 0;
  for (let i = 0; i < N; i++) if (i === -1) n++;
  return n;
});
time('trace + metrics global providers read', () => {
  let n = 0;
  for (let i = 0; i < N; i++) if (trace.getTracerProvider() !== undefined && metrics.getMeterProvider() !== undefined) n++;
  return n;
});
time('activeTelemetry() with no SDK', () => {
  let n = 0;
  for (let i = 0; i < N; i++) if (activeTelemetry() !== undefined) n++;
  return n;
});
