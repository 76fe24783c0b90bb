/**
 * `LIPModule(options)`: wraps a plain function (or, as a standard decorator,
 * a class method) so it still runs locally and can also be served on a Unix
 * socket with `init()` and stopped with `exit()`.
 */
import { currentContext, type CallContext } from './call/context.js';
import { assertValidName } from './transport/socket-names.js';
import type { FunctionInfo, FunctionStats } from './function/introspection.js';
import { validateModuleOptions, type ExitOptions, type InitOptions, type LIPModuleOptions } from './function/options.js';
import { ServedFunction } from './function/served-function.js';
import type { LogLevel, LogLevelName } from './log/levels.js';

type AnyFunction = (...args: never[]) => unknown;

/**
 * What `LIPModule(options)(fn)` adds to the function it returns; also what
 * `LIPModule.functionsOf()` gives for each `@LIPModule` method of an instance.
 */
export interface LIPFunctionControls {
  /** Serves the function; resolves once its socket accepts connections. */
  init(options?: InitOptions): Promise<void>;
  /** Graceful shutdown: running calls finish, then the socket file is removed. */
  exit(options?: ExitOptions): Promise<void>;
  /** The served name. */
  readonly lipName: string;
  /** The socket path while served, else undefined. */
  readonly socketPath: string | undefined;
  /** Whether it is served now (on its socket, over NATS, or both). */
  readonly serving: boolean;
  /**
   * Settles once the function stops serving, whoever stopped it: `exit()`, or a client's `stop`
   * (`lip stop`). Read it after `init()`: each serving has its own; while not served it is settled
   * already. It never rejects (a failed `exit()` rejects that call).
   */
  readonly closed: Promise<void>;
  /** What `client.describe()` answers, read locally. */
  describe(): FunctionInfo;
  /** What `client.stats()` answers, read locally. */
  stats(): FunctionStats;
  /** The level its log is at now, in the original's names (a level of your own `logger` reads as the nearest). */
  readonly logLevel: LogLevelName;
  /** Changes what it logs from now on, as the `logLevel` option does; throws a TypeError for an unknown level. */
  setLogLevel(level: LogLevel): void;
}

/** A wrapped function: the same call signature, plus the controls. */
export type LIPFunction<F extends AnyFunction> = F & LIPFunctionControls;

/** What `LIPModule(options)` returns: a wrapper for functions, and a standard method decorator. */
export interface LIPWrap {
  <F extends AnyFunction>(fn: F): LIPFunction<F>;
  <This, Args extends unknown[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
}

// Registered symbols, so a `lip` from another copy of the package still finds what this copy made.
const SERVED = Symbol.for('lipmodule.served');
const METHODS = Symbol.for('lipmodule.methods');
const DECORATED = Symbol.for('lipmodule.decorated');

interface MethodSpec {
  method: AnyFunction;
  name: string;
  options: LIPModuleOptions;
  callSites: (Error | undefined)[];
  served?: ServedFunction;
  controls?: LIPFunctionControls;
}

/** Decorated methods of an instance, keyed by method name; filled as the instance is built. */
function methodSpecs(instance: object): Map<string, MethodSpec> | undefined {
  return (instance as { [METHODS]?: Map<string, MethodSpec> })[METHODS];
}

function wrapFunction(fn: AnyFunction, options: LIPModuleOptions, callSites: (Error | undefined)[]): LIPFunction<AnyFunction> {
  if (typeof fn !== 'function') throw new TypeError(`LIPModule(...) wraps a function, got ${fn === null ? 'null' : typeof fn}`);
  const name = options.name ?? fn.name;
  if (!name) throw new TypeError("LIPModule: the function has no name; name it (function add() {...}) or pass the 'name' option");
  assertValidName(name, 'function name');
  const served = new ServedFunction({ fn, name, options, callSites });
  const wrapper = function (this: unknown, ...args: unknown[]) {
    return served.callLocal(this, args);
  };
  Object.defineProperties(wrapper, { name: { value: name }, length: { value: fn.length }, ...controlsOf(served), [SERVED]: { value: served } });
  return wrapper as unknown as LIPFunction<AnyFunction>;
}

/** The LIPFunctionControls members, each handing over to `served`. */
function controlsOf(served: ServedFunction): PropertyDescriptorMap {
  return {
    init: { value: (initOptions?: InitOptions) => served.init(initOptions) },
    exit: { value: (exitOptions?: ExitOptions) => served.exit(exitOptions) },
    lipName: { value: served.name, enumerable: true },
    socketPath: { get: () => served.socketPath },
    serving: { get: () => served.serving },
    closed: { get: () => served.closed },
    describe: { value: () => served.info() },
    stats: { value: () => served.stats() },
    logLevel: { get: () => served.logLevel },
    setLogLevel: { value: (level: LogLevel) => served.setLogLevel(level) },
  };
}

function decorateMethod(method: AnyFunction, context: ClassMethodDecoratorContext, options: LIPModuleOptions, callSites: (Error | undefined)[]): AnyFunction {
  if (context.kind !== 'method') throw new TypeError(`@LIPModule decorates methods, not ${context.kind}s`);
  if (context.private) throw new TypeError('@LIPModule cannot serve a private method');
  const methodName = String(context.name);
  const name = options.name ?? methodName;
  assertValidName(name, `served name of method '${methodName}'`);
  context.addInitializer(function (this: unknown) {
    const instance = this as object;
    let specs = methodSpecs(instance);
    if (!specs) {
      specs = new Map();
      Object.defineProperty(instance, METHODS, { value: specs, enumerable: false });
    }
    specs.set(methodName, { method, name, options, callSites });
  });
  const replacement = function (this: unknown, ...args: unknown[]) {
    const spec = methodSpecs(this as object)?.get(methodName);
    if (!spec) return method.apply(this, args as never[]);
    return servedMethod(this as object, spec).callLocal(this, args);
  };
  // Lets `lip serve` tell a user who exported the class, not an instance, what to export.
  Object.defineProperty(replacement, DECORATED, { value: name });
  return replacement;
}

function servedMethod(instance: object, spec: MethodSpec): ServedFunction {
  spec.served ??= new ServedFunction({ fn: spec.method, name: spec.name, options: spec.options, callSites: spec.callSites, thisArg: instance });
  return spec.served;
}

/** A decorated method's controls: made once, so the same method is the same object each time it is asked for. */
function methodControls(instance: object, spec: MethodSpec): LIPFunctionControls {
  spec.controls ??= Object.defineProperties({}, controlsOf(servedMethod(instance, spec))) as LIPFunctionControls;
  return spec.controls;
}

function isDecoratorContext(value: unknown): value is ClassMethodDecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value && 'addInitializer' in value;
}

/**
 * Wraps a function so it can be served: `LIPModule({ lru: true })(function add(a, b) {...})`.
 * Also a standard decorator for class methods: `@LIPModule({ name: 'area' }) area(w, h) {...}`.
 */
export function LIPModule(options: LIPModuleOptions = {}): LIPWrap {
  validateModuleOptions(options);
  const frozen = Object.freeze({ ...options });
  // Where LIPModule was called: its stack is formatted only if the docstring is asked for.
  const optionsSite = new Error('LIPModule called');
  return function wrap(target: AnyFunction, context?: unknown, descriptor?: unknown) {
    if (descriptor !== undefined && (typeof context === 'string' || typeof context === 'symbol')) {
      throw new TypeError(
        `@LIPModule on '${String(context)}' was applied as a legacy decorator: LIPModule is a standard (TC39) decorator; ` +
          'remove "experimentalDecorators": true from your tsconfig.json',
      );
    }
    if (isDecoratorContext(context)) return decorateMethod(target, context as ClassMethodDecoratorContext, frozen, [optionsSite]);
    return wrapFunction(target, frozen, [optionsSite, new Error('wrapped')]);
  } as LIPWrap;
}

/** The context of the call being served: `{ signal, deadline, callId }`. Outside a served call, a never-aborted local context. */
LIPModule.context = function context(): CallContext {
  return currentContext();
};

/** Serves every `@LIPModule` method of `instance`, with `this` bound to it. */
LIPModule.init = async function init(instance: object, options?: InitOptions): Promise<void> {
  const served = servedOf(instance);
  if (served.length === 0) throw new TypeError('LIPModule.init: this object has no @LIPModule methods');
  const started: ServedFunction[] = [];
  try {
    for (const s of served) {
      await s.init(options);
      started.push(s);
    }
  } catch (error) {
    await Promise.all(started.map((s) => s.exit()));
    throw error;
  }
};

/** Stops every served `@LIPModule` method of `instance`. */
LIPModule.exit = async function exit(instance: object, options?: ExitOptions): Promise<void> {
  await Promise.all(servedOf(instance).map((s) => s.exit(options)));
};

/** Whether `value` was made by `LIPModule(...)(fn)`. */
LIPModule.isLIPFunction = function isLIPFunction(value: unknown): value is LIPFunction<AnyFunction> {
  return typeof value === 'function' && SERVED in value;
};

/**
 * The served functions a module exports: its LIPModule-wrapped functions, and the `@LIPModule`
 * methods of the instances it exports, in export order, each once (a function exported under two
 * names is listed once). Pass a module namespace (what a dynamic import resolves to); values that
 * are not served are skipped. `lip serve` serves what this returns.
 */
LIPModule.functionsOf = function functionsOf(moduleNamespace: object): LIPFunctionControls[] {
  const found = new Set<LIPFunctionControls>();
  for (const value of Object.values(moduleNamespace)) for (const controls of controlsBehind(value)) found.add(controls);
  return [...found];
};

/** The controls behind one exported value: a wrapped function itself, or an instance's decorated methods. */
function controlsBehind(value: unknown): LIPFunctionControls[] {
  if (LIPModule.isLIPFunction(value)) return [value];
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return [];
  const specs = methodSpecs(value);
  return specs ? [...specs.values()].map((spec) => methodControls(value, spec)) : [];
}

/** Every ServedFunction behind a wrapped function, or an instance with decorated methods. */
function servedOf(value: unknown): ServedFunction[] {
  if (typeof value === 'function' && SERVED in value) return [(value as unknown as { [SERVED]: ServedFunction })[SERVED]];
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return [];
  const specs = methodSpecs(value);
  if (!specs) return [];
  return [...specs.values()].map((spec) => servedMethod(value, spec));
}
