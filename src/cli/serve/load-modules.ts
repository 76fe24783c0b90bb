/**
 * Imports the module files given to `lip serve` (TypeScript through tsx, or
 * Node's own type stripping) and collects what they export that can be served:
 * LIPModule-wrapped functions and instances with @LIPModule methods.
 */
import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type LIPFunctionControls, LIPModule } from '../../index.js';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import { describeError } from '../report-error.js';
import { decoratedClassHint } from './class-hint.js';
import { moduleTypeHint } from './module-type-hint.js';
import { prepareTypeScript, typeScriptLoadHint, type TypeScriptLoader } from './typescript-loader.js';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);
const LOADABLE = new Set(['.js', '.mjs', '.cjs', ...TYPESCRIPT]);

interface Found {
  fn: LIPFunctionControls;
  /** The file that exports it, for a name clash. */
  file: string;
}

/** The functions to serve from `files`, in file and export order; `only` keeps just those names. */
export async function loadFunctions(files: readonly string[], only: readonly string[] = []): Promise<LIPFunctionControls[]> {
  const paths = await Promise.all(files.map(checkFile));
  const typeScript = paths.filter((p) => TYPESCRIPT.has(extname(p)));
  const loader = typeScript.length > 0 ? await prepareTypeScript(typeScript) : undefined;
  const byName = new Map<string, Found>();
  const hints: string[] = [];
  for (const [i, path] of paths.entries()) {
    const exports = exportsOf(await importFile(path, files[i]!, loader));
    for (const fn of LIPModule.functionsOf(exports)) addUnique(byName, { fn, file: files[i]! });
    for (const [exportName, value] of Object.entries(exports)) {
      const hint = decoratedClassHint(exportName, value);
      if (hint) hints.push(hint);
    }
  }
  if (byName.size === 0) {
    throw usageError(
      `nothing to serve in ${files.join(', ')}: export functions wrapped with LIPModule(...)(fn), or instances of classes with @LIPModule methods` +
        hints.map((h) => `\n  hint: ${h}`).join(''),
    );
  }
  return pick(
    [...byName.values()].map((found) => found.fn),
    only,
  );
}

/**
 * A CommonJS file's exports, when Node could not list them as named exports (TypeScript compiled by tsx's
 * require hook): they are the properties of its `module.exports`, the namespace's default.
 */
function exportsOf(namespace: Record<string, unknown>): Record<string, unknown> {
  const names = Object.keys(namespace).filter((n) => n !== 'module.exports');
  const only = namespace.default;
  if (names.length !== 1 || names[0] !== 'default' || typeof only !== 'object' || only === null) return namespace;
  return { ...(only as Record<string, unknown>) };
}

async function checkFile(file: string): Promise<string> {
  const path = resolve(file);
  const stats = await stat(path).catch(() => undefined);
  if (!stats?.isFile()) throw usageError(`no such file: ${file}`);
  if (!LOADABLE.has(extname(path))) throw usageError(`${file}: lip serve loads .js, .mjs, .cjs and .ts files`);
  return path;
}

async function importFile(path: string, shown: string, loader: TypeScriptLoader | undefined): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const hint = moduleTypeHint(error, path) ?? (loader && TYPESCRIPT.has(extname(path)) ? typeScriptLoadHint(error, loader) : undefined);
    throw new CliError(`could not load ${shown}: ${describeError(error)}${hint ? `\n  hint: ${hint}` : ''}`, ExitCode.Failed, { cause: error });
  }
}

function addUnique(byName: Map<string, Found>, found: Found): void {
  const name = found.fn.lipName;
  const other = byName.get(name);
  if (!other) return void byName.set(name, found);
  // The same function exported by two files (one re-exporting the other) is served once.
  if (other.fn === found.fn) return;
  const where = other.file === found.file ? `both in ${found.file}` : `in ${other.file} and ${found.file}`;
  throw new CliError(`two functions are named '${name}' (${where}): give one a distinct name with LIPModule({ name })`, ExitCode.Failed);
}

function pick(all: LIPFunctionControls[], only: readonly string[]): LIPFunctionControls[] {
  if (only.length === 0) return all;
  const names = new Set(all.map((fn) => fn.lipName));
  const unknown = only.filter((n) => !names.has(n));
  if (unknown.length > 0) throw usageError(`--only: ${unknown.join(', ')} not found; the files export ${[...names].join(', ')}`);
  return all.filter((fn) => only.includes(fn.lipName));
}
