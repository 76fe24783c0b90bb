/**
 * The CLI is a shell over the public API: whatever a file in src/cli imports from the rest of the
 * library is a name src/index.ts exports (a value: the very same object). Read from the sources.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.js';

const CLI = join(ROOT, 'src', 'cli');
// A leaf rule (a TTY, and NO_COLOR unset) shared with the log's pretty format; not worth a public export.
const ALLOWED = new Set(['log/terminal.ts:colourEnabled']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

interface Imported {
  file: string;
  from: string;
  name: string;
  typeOnly: boolean;
}

/** Named imports of library files outside src/cli. */
function libraryImports(file: string): Imported[] {
  const text = readFileSync(file, 'utf8');
  const found: Imported[] = [];
  for (const [, wholeType, names, specifier] of text.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(\.[^']+)';/gm)) {
    const target = resolve(dirname(file), specifier!).replace(/\.js$/, '.ts');
    if (target.startsWith(`${CLI}/`)) continue;
    for (const raw of names!
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)) {
      const typeOnly = Boolean(wholeType) || raw.startsWith('type ');
      const name = raw.replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
      found.push({ file: relative(ROOT, file), from: relative(join(ROOT, 'src'), target), name, typeOnly });
    }
  }
  return found;
}

test('src/cli imports only what the public barrel exports', async () => {
  const barrelText = readFileSync(join(ROOT, 'src', 'index.ts'), 'utf8');
  const barrel = (await import(pathToFileURL(join(ROOT, 'src', 'index.ts')).href)) as Record<string, unknown>;
  const imports = sources(CLI).flatMap(libraryImports);
  assert.ok(imports.length > 5, 'the scan finds the imports');
  const offences: string[] = [];
  for (const { file, from, name, typeOnly } of imports) {
    if (ALLOWED.has(`${from}:${name}`)) continue;
    if (typeOnly) {
      if (!new RegExp(`\\b${name}\\b`).test(barrelText)) offences.push(`${file}: type ${name} from ${from} is not public`);
      continue;
    }
    const own = (await import(pathToFileURL(join(ROOT, 'src', from)).href)) as Record<string, unknown>;
    if (!(name in barrel) || barrel[name] !== own[name]) offences.push(`${file}: ${name} from ${from} is not public`);
  }
  assert.deepEqual(offences, []);
});
