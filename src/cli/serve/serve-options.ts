/** The options of `lip serve`, as commander parses them. */
import type { LogLevel } from '../../log/levels.js';
import type { CommonOptions } from '../common.js';
import type { MetricsAddress } from './metrics-address.js';

export interface ServeOptions extends CommonOptions {
  only?: string[];
  logLevel?: LogLevel;
  logFormat?: 'pretty' | 'json';
  instances: number;
  grace?: number;
  /** false with --no-socket: NATS only. */
  socket: boolean;
  /** --metrics: where GET /metrics answers. */
  metrics?: MetricsAddress;
  /** --take-over (set by `lip up --watch`): take each socket path over from the server there. */
  takeOver?: boolean;
  /** --watch: reload when the files change, with no call dropped (through `lip up`). */
  watch?: boolean;
}
