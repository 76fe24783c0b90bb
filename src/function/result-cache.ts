/**
 * The `lru` option: results cached by the value of the bound arguments.
 * Async results are cached once resolved, rejections never, and concurrent
 * identical calls share one computation.
 */
import { LRUCache } from 'lru-cache';
import { encodeValue } from '../protocol/codec.js';
import { isPromiseLike } from '../call/endpoint.js';
import { activeTelemetry } from '../telemetry/active.js';
import { recordCacheLookup } from '../telemetry/call-record.js';
import { rpcMetricAttributes } from '../telemetry/rpc-target.js';

export interface ResultCacheOptions {
  /** The function's served name, for the OpenTelemetry hit and miss counters. */
  method: string;
  /** Most entries kept; 0 keeps every entry, as the Python original does. */
  max: number;
  /** Entries expire this many milliseconds after they are stored; 0 never. */
  ttlMs: number;
  /** Time source in milliseconds, for tests. */
  clock?: (() => number) | undefined;
}

const HIT = Object.freeze({ hit: true });
const MISS = Object.freeze({ hit: false });

interface Entry {
  value: unknown;
  /** The function returned a promise: hits return one too. */
  async: boolean;
}

export class ResultCache {
  private readonly cache: LRUCache<string, Entry>;
  // Keyed computations still running, shared by identical calls.
  private readonly running = new Map<string, Promise<unknown>>();
  hits = 0;
  misses = 0;
  private readonly telemetryTarget: { metricAttributes: ReturnType<typeof rpcMetricAttributes> };

  constructor(options: ResultCacheOptions) {
    const clock = options.clock;
    this.telemetryTarget = { metricAttributes: rpcMetricAttributes(options.method) };
    this.cache = new LRUCache<string, Entry>({
      // lru-cache preallocates `max` slots; an unbounded cache counts by size instead.
      ...(options.max > 0 ? { max: options.max } : { maxSize: Number.MAX_SAFE_INTEGER, sizeCalculation: () => 1 }),
      ...(options.ttlMs > 0 ? { ttl: options.ttlMs } : {}),
      // An injected clock is read on every check: lru-cache otherwise reuses a reading for 1 ms.
      ...(clock ? { perf: { now: clock }, ttlResolution: 0 } : {}),
    });
  }

  get size(): number {
    return this.cache.size;
  }

  /** Key for a bound argument list: its CBOR bytes, so equal values share an entry. */
  keyFor(boundArgs: readonly unknown[]): string | undefined {
    try {
      return encodeValue(boundArgs).toString('latin1');
    } catch {
      return undefined; // not encodable: don't cache
    }
  }

  /** Returns the cached result for `key`, or computes it with `compute` and caches a success. */
  through(key: string, compute: () => unknown): unknown {
    const entry = this.cache.get(key);
    if (entry) {
      this.hits++;
      this.counted(HIT);
      return entry.async ? Promise.resolve(entry.value) : entry.value;
    }
    const running = this.running.get(key);
    if (running) {
      this.hits++;
      this.counted(HIT);
      return running;
    }
    this.misses++;
    this.counted(MISS);
    const result = compute();
    if (!isPromiseLike(result)) {
      this.cache.set(key, { value: result, async: false });
      return result;
    }
    const shared = Promise.resolve(result).then(
      (value) => {
        this.running.delete(key);
        this.cache.set(key, { value, async: true });
        return value;
      },
      (error: unknown) => {
        this.running.delete(key);
        throw error;
      },
    );
    this.running.set(key, shared);
    return shared;
  }

  /** Also through the OpenTelemetry metrics API, when an SDK is registered. */
  private counted(outcome: { hit: boolean }): void {
    const telemetry = activeTelemetry();
    if (telemetry !== undefined) recordCacheLookup(telemetry, this.telemetryTarget, outcome);
  }
}
