/**
 * The `schema` option: any Standard Schema validator (zod, valibot, arktype)
 * for the argument list. Only the interface is needed, so it is declared here
 * (structurally identical to @standard-schema/spec) rather than imported.
 */
import { LIPArgumentError, ownFault } from '../errors.js';
import { isPromiseLike } from '../call/endpoint.js';

export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
    readonly jsonSchema?: { readonly input: (options: { readonly target: string }) => Record<string, unknown> } | undefined;
  };
}

type StandardResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly StandardIssue[] };

interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

export interface ArgumentIssue {
  message: string;
  path?: (string | number)[];
}

export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { '~standard'?: { validate?: unknown } } | null)?.['~standard'];
  return typeof props?.validate === 'function';
}

/** Validates the bound argument list; returns the validated (possibly transformed) list. */
export function validateArguments(schema: StandardSchemaV1, args: unknown[]): unknown[] | Promise<unknown[]> {
  const result = schema['~standard'].validate(args);
  return isPromiseLike(result) ? Promise.resolve(result).then(unwrap) : unwrap(result);
}

function unwrap(result: StandardResult<unknown>): unknown[] {
  if (!result.issues) return Array.isArray(result.value) ? result.value : [result.value];
  const issues: ArgumentIssue[] = result.issues.map((issue) => {
    const path = issue.path?.map((segment) => {
      const key = typeof segment === 'object' ? segment.key : segment;
      return typeof key === 'number' ? key : String(key);
    });
    return path && path.length > 0 ? { message: issue.message, path } : { message: issue.message };
  });
  const summary = issues.map((i) => (i.path ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
  throw ownFault(new LIPArgumentError(`invalid arguments: ${summary}`, { issues }));
}

/** The JSON Schema of the arguments, when the validator can produce one. */
export function argumentsJsonSchema(schema: StandardSchemaV1): unknown {
  try {
    return schema['~standard'].jsonSchema?.input({ target: 'draft-2020-12' });
  } catch {
    return undefined;
  }
}
