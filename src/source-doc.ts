/**
 * Finds the documentation an author wrote naturally: the JSDoc block above the
 * `LIPModule(...)` call or the function's declaration, read from the source
 * file the call came from (`.ts` through a loader with source maps, or
 * compiled `.js`), else the first comment inside the function body.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanBlockComment, leadingComment } from './signature.js';

export interface SourceLocation {
  file: string;
  line: number;
}

const OWN_DIR = dirname(fileURLToPath(import.meta.url));
const FRAME = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?\s*$/;

/**
 * Where user code called into us. Takes an Error made at the call: its stack
 * is formatted (and source-mapped) only here, never on the hot path.
 */
export function locateCaller(marker: Error | undefined): SourceLocation | undefined {
  const stack = marker?.stack;
  if (!stack) return undefined;
  // Line 0 is the message and line 1 the function of ours that made the marker (whichever copy of the package it is).
  for (const line of stack.split('\n').slice(2)) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const file = match[1]!.startsWith('file://') ? fileURLToPath(match[1]!) : match[1]!;
    if (file.startsWith(OWN_DIR) || file.includes('/node_modules/')) continue;
    return { file, line: Number(match[2]) };
  }
  return undefined;
}

const fileCache = new Map<string, string[] | null>();

function readLines(file: string): string[] | null {
  let lines = fileCache.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8').split('\n');
    } catch {
      lines = null;
    }
    fileCache.set(file, lines);
  }
  return lines;
}

/** The doc for a function wrapped at `locations` (tried in order), found by name as a fallback. */
export function docFromSource(locations: (SourceLocation | undefined)[], fnName: string | undefined): string | undefined {
  for (const location of locations) {
    if (!location) continue;
    const lines = readLines(location.file);
    if (!lines) continue;
    const above = jsdocAbove(lines, location.line - 1);
    if (above) return above;
    if (fnName) {
      const declaration = findDeclaration(lines, fnName);
      if (declaration >= 0) {
        const doc = jsdocAbove(lines, declaration) ?? commentAfterBodyOpens(lines, declaration);
        if (doc) return doc;
      }
    }
  }
  return undefined;
}

/** The JSDoc block ending just above the statement that includes line `index`. */
function jsdocAbove(lines: string[], index: number): string | undefined {
  let i = index - 1;
  // The statement may begin a line or two earlier (`export const add =`), or under other decorators.
  while (i >= 0 && (/[=(,]\s*$/.test(lines[i]!) || /^\s*@/.test(lines[i]!))) i--;
  if (i < 0 || !/\*\/\s*$/.test(lines[i]!)) return undefined;
  let start = i;
  while (start >= 0 && !lines[start]!.includes('/**')) {
    if (start < i && lines[start]!.includes('*/')) return undefined;
    start--;
  }
  if (start < 0) return undefined;
  const text = lines.slice(start, i + 1).join('\n');
  const body = text.slice(text.indexOf('/**') + 3, text.lastIndexOf('*/'));
  return cleanBlockComment(body);
}

function findDeclaration(lines: string[], name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(
    `(?:function\\s*\\*?\\s*${escaped}\\s*[<(]|(?:const|let|var)\\s+${escaped}\\s*[:=]|^\\s*(?:(?:public|private|protected|static|async|override)\\s+)*\\*?\\s*${escaped}\\s*[<(])`,
  );
  return lines.findIndex((line) => pattern.test(line));
}

/** A comment on the lines right after the body's opening brace: the Python-style docstring. */
function commentAfterBodyOpens(lines: string[], declaration: number): string | undefined {
  let open = declaration;
  while (open < lines.length && open < declaration + 10 && !/\{\s*$/.test(lines[open]!)) open++;
  return leadingComment(lines.slice(open + 1).join('\n'));
}
