/**
 * Log level names: the Python original's (and its numbers 10..50), mapped to
 * pino's. Apart from logging.ts so that checking a level loads no pino.
 */
import type { pino } from 'pino';

export type LogLevelName = 'debug' | 'info' | 'warning' | 'error' | 'critical' | 'silent';
/** A level name, or the Python logging number (10 debug, 20 info, 30 warning, 40 error, 50 critical). */
export type LogLevel = LogLevelName | 10 | 20 | 30 | 40 | 50;

const TO_PINO: Record<string, pino.LevelWithSilent> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  critical: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
  10: 'debug',
  20: 'info',
  30: 'warn',
  40: 'error',
  50: 'fatal',
};

/** Throws a TypeError naming the option unless `level` is a known level. */
export function toPinoLevel(level: unknown): pino.LevelWithSilent {
  const mapped = TO_PINO[String(level)];
  if (mapped === undefined) {
    throw new TypeError(
      `LIPModule option 'logLevel' must be one of debug, info, warning, error, critical, silent or 10..50, got ${JSON.stringify(level)}`,
    );
  }
  return mapped;
}
