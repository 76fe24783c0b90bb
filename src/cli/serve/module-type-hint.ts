/**
 * A hint for an ES module file that Node loaded as CommonJS: the nearest
 * package.json says "type": "commonjs" (what `npm init -y` writes) or nothing.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const LOADED_AS_COMMONJS = /Cannot use import statement outside a module|Unexpected token 'export'/;

export function moduleTypeHint(error: unknown, path: string): string | undefined {
  if (!(error instanceof SyntaxError) || !LOADED_AS_COMMONJS.test(error.message)) return undefined;
  const manifest = nearestPackageJson(dirname(path));
  const where = manifest ? `to ${manifest}` : 'to a package.json beside it';
  return `the file uses import/export but Node loaded it as CommonJS: add "type": "module" ${where}, or name it .mjs (.mts for TypeScript)`;
}

function nearestPackageJson(dir: string): string | undefined {
  // Bounded by the depth of the path: dirname of the root is the root.
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) return undefined;
  }
}
