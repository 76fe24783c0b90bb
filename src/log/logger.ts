/**
 * The `logLevel` / `logFile` / `logger` options, on pino. Level names are the
 * Python original's (and its numbers 10..50), mapped to pino's.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { prettyDestination } from './pretty.js';

import { toPinoLevel, type LogLevel } from './levels.js';

export { toPinoLevel, type LogLevel, type LogLevelName } from './levels.js';

/** Rotate at 10 MiB and keep 5 old files, like the original's RotatingFileHandler. */
const ROTATE_SIZE = '10M';
const ROTATE_KEEP = 5;

export interface LoggerOptions {
  name: string;
  logLevel: LogLevel | undefined;
  /** true: `log_<name>.log` in the working directory; a string: that path. */
  logFile: boolean | string | undefined;
  logger: Logger | undefined;
}

export interface LogHandle {
  logger: Logger;
  /** Resolves once every line is written and no rotation is under way (before a process exits). */
  flush(): Promise<void>;
}

/**
 * `err` in every line: an Error as pino serializes it (type, message, stack), or the plain
 * `{ name, message, code? }` summary a call's failure is logged with, kept as it is.
 */
const SERIALIZERS = { err: (value: unknown) => (value instanceof Error ? pino.stdSerializers.err(value) : value) };

export function createLogger(options: LoggerOptions): LogHandle {
  if (options.logger) {
    const own = options.logLevel === undefined ? {} : { level: toPinoLevel(options.logLevel) };
    return { logger: options.logger.child({ fn: options.name }, { ...own, serializers: SERIALIZERS }), flush: async () => {} };
  }
  const level = toPinoLevel(options.logLevel ?? 'info');
  const base = { pid: process.pid, fn: options.name };
  if (!options.logFile) {
    // LIP_LOG_FORMAT=pretty (set by `lip serve` on a terminal): readable lines for a person instead of JSON.
    const destination = process.env.LIP_LOG_FORMAT === 'pretty' ? prettyDestination(2) : pino.destination({ fd: 2, sync: true });
    return { logger: pino({ level, base, serializers: SERIALIZERS }, destination), flush: async () => {} };
  }
  const file = rotatingFile(options.logFile === true ? `log_${options.name}.log` : options.logFile);
  let rotating = false;
  file.on('rotation', () => (rotating = true));
  file.on('rotated', () => (rotating = false));
  const flush = async () => {
    // Bounded: a stuck disk must not stop a shutdown.
    for (let waited = 0; (rotating || file.writableLength > 0) && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { logger: pino({ level, base, serializers: SERIALIZERS }, file), flush };
}

function rotatingFile(path: string): import('rotating-file-stream').RotatingFileStream {
  // Loaded only when asked for: most servers log to stderr.
  const require = createRequire(import.meta.url);
  const rfs = require('rotating-file-stream') as typeof import('rotating-file-stream');
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash) || '/' : undefined;
  const file = slash >= 0 ? path.slice(slash + 1) : path;
  return rfs.createStream(file, { size: ROTATE_SIZE, rotate: ROTATE_KEEP, ...(dir ? { path: dir } : {}) });
}
