/** Small statistics helpers for the benchmark's figures. */

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Percentile (0..100) of a Float64Array or array, nearest rank. */
export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Growable list of latency samples in µs, bounded so a long run can't exhaust memory. */
export class Samples {
  constructor(max = 2_000_000) {
    this.max = max;
    this.data = new Float64Array(4096);
    this.length = 0;
    this.seen = 0;
  }
  add(us) {
    this.seen++;
    if (this.length === this.data.length) {
      if (this.length >= this.max) {
        // Reservoir sampling past the bound keeps the distribution fair.
        const at = Math.floor(Math.random() * this.seen);
        if (at < this.max) this.data[at] = us;
        return;
      }
      const grown = new Float64Array(Math.min(this.max, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = us;
  }
  values() {
    return this.data.subarray(0, this.length);
  }
}

export function round(value, digits = 0) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
