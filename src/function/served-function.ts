/**
 * One served function, assembled: its logger, its call path (the endpoint)
 * and its lifecycle. What a wrapped function or a decorated method stands on.
 */
import type { Logger } from 'pino';
import { createLogger } from '../log/logger.js';
import { levelNameOf, type LogLevel, type LogLevelName, toPinoLevel } from '../log/levels.js';
import { FunctionEndpoint } from './function-endpoint.js';
import type { FunctionInfo, FunctionStats } from './introspection.js';
import { FunctionLifecycle } from './lifecycle.js';
import type { ExitOptions, InitOptions, LIPModuleOptions } from './options.js';

type AnyFunction = (...args: never[]) => unknown;

export interface ServedFunctionOptions {
  fn: AnyFunction;
  name: string;
  options: LIPModuleOptions;
  /** Where LIPModule was called and the function wrapped: its docs and types are read from there. */
  callSites: (Error | undefined)[];
  /** `this` of a decorated method: its instance. */
  thisArg?: unknown;
}

export class ServedFunction {
  readonly name: string;
  private readonly log: Logger;
  private readonly endpoint: FunctionEndpoint;
  private readonly lifecycle: FunctionLifecycle;

  constructor({ fn, name, options, callSites, thisArg }: ServedFunctionOptions) {
    this.name = name;
    const logging = createLogger({ name, logLevel: options.logLevel, logFile: options.logFile, logger: options.logger });
    this.log = logging.logger;
    this.endpoint = new FunctionEndpoint({ fn, name, options, callSites, thisArg, log: this.log });
    this.lifecycle = new FunctionLifecycle({ endpoint: this.endpoint, options, log: this.log, flushLog: logging.flush });
  }

  callLocal(thisArg: unknown, args: unknown[]): unknown {
    return this.endpoint.callLocal(thisArg, args);
  }

  init(options?: InitOptions): Promise<void> {
    return this.lifecycle.init(options);
  }

  exit(options?: ExitOptions): Promise<void> {
    return this.lifecycle.exit(options);
  }

  get closed(): Promise<void> {
    return this.lifecycle.closed;
  }

  get socketPath(): string | undefined {
    return this.lifecycle.socketPath;
  }

  get serving(): boolean {
    return this.lifecycle.serving;
  }

  info(): FunctionInfo {
    return this.endpoint.info();
  }

  stats(): FunctionStats {
    return this.endpoint.stats();
  }

  get logLevel(): LogLevelName {
    return levelNameOf(this.log);
  }

  setLogLevel(level: LogLevel): void {
    this.log.level = toPinoLevel(level, 'setLogLevel(level)');
  }
}
