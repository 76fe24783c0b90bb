/**
 * Binds positional and keyword arguments to a function's parameters the way
 * Python does, so wrong arguments are refused before they reach the function.
 */
import { LIPArgumentError, ownFault } from '../errors.js';
import type { ParamInfo } from './introspection.js';

export interface Binder {
  /** Returns the positional argument list to call the function with; throws LIPArgumentError. */
  bind(args: readonly unknown[], kwargs: Record<string, unknown> | null): unknown[];
}

/** `namesUnknown`: the function's source could not be read, so no argument can be given by name. */
export function createBinder(params: readonly ParamInfo[], namesUnknown = false): Binder {
  const restIndex = params.findIndex((p) => p.rest);
  const positional = restIndex >= 0 ? params.slice(0, restIndex) : params;
  const byName = new Map<string, number>();
  positional.forEach((p, i) => {
    if (!p.positionalOnly) byName.set(p.name, i);
  });
  const requiredCount = positional.filter((p) => !p.optional).length;
  const hasDestructured = params.some((p) => p.positionalOnly && !p.rest);

  return {
    bind(args, kwargs) {
      if (restIndex < 0 && args.length > positional.length) {
        throw ownFault(new LIPArgumentError(`too many positional arguments: takes ${positional.length}, got ${args.length}`));
      }
      if (kwargs === null) {
        // The hot path: positional only, nothing to rearrange.
        if (args.length < requiredCount) checkMissing(positional, args.length, undefined);
        return args as unknown[];
      }
      const bound = args.slice();
      const given = new Set<number>();
      for (const key of Object.keys(kwargs)) {
        const index = byName.get(key);
        if (index === undefined && namesUnknown) {
          throw ownFault(
            new LIPArgumentError(
              `got a keyword argument '${key}', but this function's parameter names can't be read (a bound function, a Proxy or a native function): pass its arguments positionally`,
            ),
          );
        }
        if (index === undefined) {
          const param = params.find((p) => p.name === key);
          if (param?.rest) {
            throw ownFault(new LIPArgumentError(`'${key}' is a rest parameter and can only be passed positionally`));
          }
          const hint = hasDestructured ? ' (destructured parameters can only be passed positionally)' : '';
          throw ownFault(new LIPArgumentError(`got an unexpected keyword argument '${key}'${hint}`));
        }
        if (index < args.length) throw ownFault(new LIPArgumentError(`multiple values for argument '${key}'`));
        bound[index] = kwargs[key];
        given.add(index);
      }
      checkMissing(positional, args.length, given);
      // Keyword-filled gaps stay undefined, so defaults apply to them.
      return bound;
    },
  };
}

function checkMissing(params: readonly ParamInfo[], positionalCount: number, given: Set<number> | undefined): void {
  const missing: string[] = [];
  for (let i = positionalCount; i < params.length; i++) {
    if (!params[i]!.optional && !given?.has(i)) missing.push(params[i]!.name);
  }
  if (missing.length === 1) throw ownFault(new LIPArgumentError(`missing a required argument: '${missing[0]}'`));
  if (missing.length > 1) {
    throw ownFault(new LIPArgumentError(`missing ${missing.length} required arguments: ${missing.map((m) => `'${m}'`).join(', ')}`));
  }
}
