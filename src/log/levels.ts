/**
 * Log level names: the Python original's (and its numbers 10..50), mapped to
 * pino's. Apart from logger.ts so that checking a level loads no pino.
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

/** Whether `value` is a log level `logLevel` and `setLogLevel()` take (a name, or 10..50). */
export function isLogLevel(value: unknown): value is LogLevel {
  return (typeof value === 'string' || typeof value === 'number') && Object.hasOwn(TO_PINO, String(value));
}

/** Throws a TypeError naming `what` (by default the `logLevel` option) unless `level` is a known level. */
export function toPinoLevel(level: unknown, what = "LIPModule option 'logLevel'"): pino.LevelWithSilent {
  if (!isLogLevel(level)) {
    throw new TypeError(`${what} must be one of debug, info, warning, error, critical, silent or 10..50, got ${JSON.stringify(level)}`);
  }
  return TO_PINO[String(level)]!;
}

/**
 * The original's name for the level a pino logger is at. Read from its number, so a level of a
 * logger of your own (trace, or a custom one) reads as the level it lets lipmodule's lines through at.
 */
export function levelNameOf(logger: { levelVal: number }): LogLevelName {
  const value = logger.levelVal;
  if (value <= 20) return 'debug';
  if (value <= 30) return 'info';
  if (value <= 40) return 'warning';
  if (value <= 50) return 'error';
  if (value <= 60) return 'critical';
  return 'silent';
}
