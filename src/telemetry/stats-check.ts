/**
 * What a `stats` answer may put into the Prometheus exposition. `lip metrics`
 * reads the answers of whatever listens in a socket directory, so each figure
 * is checked before it becomes a sample: a value no real server could have
 * counted is left out (its series missing for that function) with a warning,
 * never written, so one hostile or broken function can't break the exposition
 * for the others or make the file one Prometheus refuses.
 */
import { ErrorCode } from '../errors.js';
import { knownErrorCode } from './error-type.js';
import type { LatencyBucketsSnapshot } from './latency-buckets.js';

/** The longest function name put into a label: the longest a socket path leaves room for. */
export const MAX_FUNCTION_NAME_LENGTH = 100;
/** The most histogram bounds a server may report (lipmodule's own: 19). */
export const MAX_HISTOGRAM_BOUNDS = 64;

/** One function's figures, each present only when it passed its check. */
export interface CheckedFigures {
  name: string;
  calls?: number;
  errors?: number;
  /** By code, every code one of the table's (a made-up one counted as ERR_LIP_REMOTE). */
  errorsByCode?: Record<string, number>;
  cancelled?: number;
  inFlight?: number;
  queued?: number;
  cacheHits?: number;
  cacheMisses?: number;
  cacheSize?: number;
  /** Seconds since the Unix epoch. */
  startTime?: number;
  latencyBuckets?: LatencyBucketsSnapshot;
}

/** Receives one line per problem found (a function's name and what was left out). */
export type StatsWarning = (message: string) => void;

/** The figures of `source` that can be written; undefined (with a warning) when it isn't a function's stats at all. */
export function checkStats(source: unknown, warn: StatsWarning, now = Date.now()): CheckedFigures | undefined {
  if (!isPlainObject(source)) {
    warn(`a stats answer that is not an object (${kindOf(source)}): left out`);
    return undefined;
  }
  const { name } = source;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_FUNCTION_NAME_LENGTH) {
    warn(`a stats answer without a usable function name (${kindOf(name)}): left out`);
    return undefined;
  }
  const bad: string[] = [];
  const count = (field: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    if (isCount(value)) return value;
    bad.push(`${field}=${shown(value)}`);
    return undefined;
  };
  const figures: CheckedFigures = { name };
  const set = <K extends keyof CheckedFigures>(key: K, value: CheckedFigures[K] | undefined) => {
    if (value !== undefined) figures[key] = value;
  };
  set('calls', count('calls', source.calls));
  set('errors', count('errors', source.errors));
  set('cancelled', count('cancelled', source.cancelled));
  set('inFlight', count('inFlight', source.inFlight));
  set('queued', count('queued', source.queued));
  if (isPlainObject(source.cache)) {
    set('cacheHits', count('cache.hits', source.cache.hits));
    set('cacheMisses', count('cache.misses', source.cache.misses));
    set('cacheSize', count('cache.size', source.cache.size));
  } else if (source.cache !== undefined) bad.push(`cache=${shown(source.cache)}`);
  const uptime = source.uptimeMs;
  if (typeof uptime === 'number' && Number.isFinite(uptime) && uptime >= 0 && uptime <= now) set('startTime', Math.round((now - uptime) / 1000));
  else if (uptime !== undefined) bad.push(`uptimeMs=${shown(uptime)}`);
  if (source.errorsByCode !== undefined) set('errorsByCode', checkErrorsByCode(source.errorsByCode, name, bad, warn));
  if (source.latencyBuckets !== undefined) {
    const buckets = checkBuckets(source.latencyBuckets);
    if (buckets) figures.latencyBuckets = buckets;
    else bad.push('latencyBuckets (not a histogram)');
  }
  if (bad.length > 0) warn(`${JSON.stringify(name)}: figures no server could have counted, left out: ${bad.join(', ')}`);
  return figures;
}

/** Codes from the table as they are; a made-up code (one warning for all of them) counts as ERR_LIP_REMOTE. */
function checkErrorsByCode(value: unknown, name: string, bad: string[], warn: StatsWarning): Record<string, number> | undefined {
  if (!isPlainObject(value)) {
    bad.push(`errorsByCode=${shown(value)}`);
    return undefined;
  }
  const checked: Record<string, number> = {};
  let madeUp = 0;
  let invalid = 0;
  for (const [code, n] of Object.entries(value)) {
    if (!isCount(n)) {
      invalid++;
      continue;
    }
    const known = knownErrorCode(code);
    if (!known) madeUp++;
    const key = known ?? ErrorCode.Remote;
    checked[key] = Math.min(Number.MAX_SAFE_INTEGER, (checked[key] ?? 0) + n);
  }
  if (invalid > 0) bad.push(`errorsByCode (${invalid} counts)`);
  if (madeUp > 0) warn(`${JSON.stringify(name)}: ${madeUp} error code${madeUp === 1 ? '' : 's'} not in lipmodule's table, counted as ${ErrorCode.Remote}`);
  return checked;
}

/** A histogram snapshot whose bounds rise and whose counts add up, else undefined. */
function checkBuckets(value: unknown): LatencyBucketsSnapshot | undefined {
  if (!isPlainObject(value)) return undefined;
  const { boundsSeconds, counts, sumSeconds, count } = value;
  if (!Array.isArray(boundsSeconds) || !Array.isArray(counts) || boundsSeconds.length > MAX_HISTOGRAM_BOUNDS) return undefined;
  if (counts.length !== boundsSeconds.length + 1 || !isCount(count)) return undefined;
  if (typeof sumSeconds !== 'number' || !Number.isFinite(sumSeconds) || sumSeconds < 0) return undefined;
  let previous = 0;
  for (const bound of boundsSeconds) {
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= previous) return undefined;
    previous = bound;
  }
  let total = 0;
  for (const n of counts) {
    if (!isCount(n)) return undefined;
    total += n;
  }
  if (total !== count) return undefined;
  return { boundsSeconds: boundsSeconds as number[], counts: counts as number[], sumSeconds, count };
}

/** A figure a counter could hold: a whole number from 0 to 2^53 - 1. */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value;
}

/** A value as a warning shows it: short, whatever it is. */
function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return String(value);
  if (typeof value === 'string') return value.length > 20 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return kindOf(value);
}
