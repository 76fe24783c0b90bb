/**
 * What one served function says about itself: its documentation, its
 * parameters with their written types, and the `info` verb's answer. Read
 * from the source lazily, the first time someone asks.
 */
import { LIB_ID } from '../version.js';
import type { FunctionInfo, ParamInfo } from './introspection.js';
import type { LIPModuleOptions } from './options.js';
import { argumentsJsonSchema } from './schema.js';
import { formatSignature, type ParsedFunction, parseFunction, withWrittenTypes } from './signature.js';
import { docFromSource, locateCaller, writtenSignature } from './source-doc.js';

export interface WrittenFunction {
  params: ParamInfo[];
  returns?: string;
}

export interface FunctionDescriptionOptions {
  fn: (...args: never[]) => unknown;
  name: string;
  options: LIPModuleOptions;
  /** Where LIPModule was called and the function wrapped: the source is read from there. */
  callSites: (Error | undefined)[];
  /** Epoch ms the function was made, shown as `startedAt`. */
  startedAt: number;
}

/**
 * An `async function*` (or method, or one bound or in a Proxy): its calls are streams. Read from the
 * function's prototype, whose tag its own properties can't change (an own `Symbol.toStringTag` could
 * make a generator look like a function, whose results `lru` would then cache), in any realm.
 */
export function isAsyncGeneratorFunction(fn: (...args: never[]) => unknown): boolean {
  try {
    return Object.prototype.toString.call(Object.getPrototypeOf(fn)) === '[object AsyncGeneratorFunction]';
  } catch {
    // A Proxy whose getPrototypeOf trap throws: not a kind we can tell, so served as returning one value.
    return false;
  }
}

export class FunctionDescription {
  private documentation: string | null | undefined;
  private written: WrittenFunction | undefined;
  private compiled: ParsedFunction | undefined;

  constructor(private readonly source: FunctionDescriptionOptions) {}

  /** The compiled function as acorn reads it: parsed at first need, as acorn's first parse costs milliseconds. */
  private get parsed(): ParsedFunction {
    this.compiled ??= parseFunction(this.source.fn);
    return this.compiled;
  }

  doc(): string | null {
    const { options, callSites, fn } = this.source;
    this.documentation ??= options.doc ?? docFromSource(callSites.map(locateCaller), fn.name || undefined) ?? this.parsed.bodyComment ?? null;
    return this.documentation;
  }

  /** Parameters and return type, with types, `?` and defaults from the TypeScript source when it can be read. */
  signature(): WrittenFunction {
    const { callSites, fn, name } = this.source;
    this.written ??= withWrittenTypes(this.parsed.params, writtenSignature(callSites.map(locateCaller), fn.name || undefined, name));
    return this.written;
  }

  /** Whether the function's source could not be read: its parameters, and so their names, are unknown. */
  sourceless(): boolean {
    return this.parsed.sourceless === true;
  }

  info(): FunctionInfo {
    const { name, options, startedAt } = this.source;
    const { params, returns } = this.signature();
    const info: FunctionInfo = {
      name,
      doc: this.doc(),
      params,
      signature: formatSignature(name, params),
      ...(returns === undefined ? {} : { returns }),
      version: options.version ?? '0.0.0',
      lib: LIB_ID,
      pid: process.pid,
      startedAt: new Date(startedAt).toISOString(),
      streaming: isAsyncGeneratorFunction(this.source.fn),
      cache: { enabled: options.lru === true, max: options.lruMax ?? 0, ttlMs: options.lruTtlMs ?? 0 },
      idempotent: options.idempotent === true,
    };
    const schema = options.schema && argumentsJsonSchema(options.schema);
    if (schema !== undefined) info.schema = schema;
    return info;
  }
}
