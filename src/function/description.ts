/**
 * What one served function says about itself: its documentation, its
 * parameters with their written types, and the `info` verb's answer. Read
 * from the source lazily, the first time someone asks.
 */
import { LIB_ID } from '../version.js';
import type { FunctionInfo, ParamInfo } from './introspection.js';
import type { LIPModuleOptions } from './options.js';
import { argumentsJsonSchema } from './schema.js';
import { formatSignature, type ParsedFunction, withWrittenTypes } from './signature.js';
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
  /** The compiled function as acorn read it. */
  parsed: ParsedFunction;
  /** Epoch ms the function was made, shown as `startedAt`. */
  startedAt: number;
}

export class FunctionDescription {
  private documentation: string | null | undefined;
  private written: WrittenFunction | undefined;

  constructor(private readonly source: FunctionDescriptionOptions) {}

  doc(): string | null {
    const { options, callSites, fn, parsed } = this.source;
    this.documentation ??= options.doc ?? docFromSource(callSites.map(locateCaller), fn.name || undefined) ?? parsed.bodyComment ?? null;
    return this.documentation;
  }

  /** Parameters and return type, with types, `?` and defaults from the TypeScript source when it can be read. */
  signature(): WrittenFunction {
    const { callSites, fn, name, parsed } = this.source;
    this.written ??= withWrittenTypes(parsed.params, writtenSignature(callSites.map(locateCaller), fn.name || undefined, name));
    return this.written;
  }

  info(): FunctionInfo {
    const { name, options, parsed, startedAt } = this.source;
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
      streaming: parsed.isGenerator && parsed.isAsync,
      cache: { enabled: options.lru === true, max: options.lruMax ?? 0, ttlMs: options.lruTtlMs ?? 0 },
      idempotent: options.idempotent === true,
    };
    const schema = options.schema && argumentsJsonSchema(options.schema);
    if (schema !== undefined) info.schema = schema;
    return info;
  }
}
