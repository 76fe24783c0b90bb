/** The options of `lip serve`, as commander parses them. */
import type { LogLevel } from '../../log/levels.js';
import type { CommonOptions } from '../common.js';

export interface ServeOptions extends CommonOptions {
  only?: string[];
  logLevel?: LogLevel;
  logFormat?: 'pretty' | 'json';
  instances: number;
  grace?: number;
  /** false with --no-socket: NATS only. */
  socket: boolean;
}
