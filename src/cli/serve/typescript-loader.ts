/**
 * How `lip serve` imports .ts files: through tsx when it is installed (any
 * TypeScript, decorators included), else through Node's own type stripping
 * (Node >= 22.18, erasable syntax only). tsx is an optional peer dependency:
 * serving JavaScript, or calling, never needs it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError, ExitCode } from '../exit-codes.js';

export type TypeScriptLoader = 'tsx' | 'node';

const INSTALL_TSX = 'npm install --save-dev tsx';

/** Registers tsx if it can be found from the files, the working directory or this package; else checks Node can strip types. */
export async function prepareTypeScript(files: readonly string[]): Promise<TypeScriptLoader> {
  const places = [...files.map(dirname), process.cwd(), dirname(fileURLToPath(import.meta.url))];
  const tsx = await findTsx(places);
  if (tsx) {
    tsx.register();
    // Stack traces then point into the .ts source: docstrings and types are read from there.
    process.setSourceMapsEnabled(true);
    return 'tsx';
  }
  if (nodeStripsTypes()) return 'node';
  throw new CliError(
    `${files[0]}: serving TypeScript on Node ${process.versions.node} needs the tsx loader, which is not installed: ` +
      `${INSTALL_TSX} (Node >= 22.18 strips types by itself), or compile to .js first`,
    ExitCode.Failed,
  );
}

/** tsx's ESM API, from the first place it can be found. */
async function findTsx(places: readonly string[]): Promise<{ register(): unknown } | undefined> {
  for (const dir of places) {
    let manifestPath: string;
    try {
      manifestPath = createRequire(join(dir, 'lip-serve.js')).resolve('tsx/package.json');
    } catch {
      continue; // not installed there
    }
    // Its ESM entries, as its exports map names them: the CommonJS ones compute their hooks' path wrongly when required.
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } | string }> };
    const load = async (subpath: string) => {
      const entry = manifest.exports?.[subpath]?.import;
      const file = typeof entry === 'string' ? entry : entry?.default;
      return file ? ((await import(pathToFileURL(join(dirname(manifestPath), file)).href)) as { register(): unknown }) : undefined;
    };
    const esm = await load('./esm/api');
    if (!esm) continue;
    // A .ts file in a CommonJS project is required, not imported: without tsx's require hook, Node 20
    // takes it for an ES module and fails (ERR_REQUIRE_CYCLE_MODULE).
    const cjs = await load('./cjs/api');
    return {
      register() {
        esm.register();
        cjs?.register();
      },
    };
  }
  return undefined;
}

/** Node >= 22.18 (and 23.6) strips erasable TypeScript syntax from .ts files by default. */
function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: string | false }).typescript);
}

/** A hint for a .ts file that failed to load, when the loader is the likely cause. */
export function typeScriptLoadHint(error: unknown, loader: TypeScriptLoader): string | undefined {
  if (loader !== 'node') return undefined;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' || error instanceof SyntaxError) {
    return (
      "the file was loaded with Node's own type stripping, which only erases types: decorators (@LIPModule on methods), " +
      `enums, namespaces and parameter properties need a loader: ${INSTALL_TSX}`
    );
  }
  if (code === 'ERR_MODULE_NOT_FOUND') {
    return `under Node's type stripping a relative import names the .ts file itself (import './util.ts'); or ${INSTALL_TSX}`;
  }
  return undefined;
}
