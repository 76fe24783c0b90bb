/**
 * Finds the documentation an author wrote naturally: the JSDoc block above the
 * `LIPModule(...)` call or the function's declaration, read from the source
 * file the call came from (`.ts` through a loader with source maps, or
 * compiled `.js`), else the first comment inside the function body.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
import { cleanBlockComment, leadingComment } from './signature.js';
import { findWrittenSignature, type WrittenSignature } from './ts-signature.js';

export interface SourceLocation {
  file: string;
  line: number;
}

/** This copy's code: its `dist` (or `src`) folder, whichever file of it (the CLI's bundled chunks too) this is. */
const OWN_DIR = ownCodeDir(dirname(fileURLToPath(import.meta.url)));
/**
 * Frames that are never the author's call: another copy of lipmodule, and the helpers that compiled
 * decorators and loaders run through. A package of served functions under node_modules is the author's.
 */
const NOT_AUTHOR = /\/node_modules\/(?:lipmodule|tslib|@swc\/helpers|@babel\/runtime|tsx|esbuild)\//;
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
    if (file.startsWith(OWN_DIR) || NOT_AUTHOR.test(file)) continue;
    return { file, line: Number(match[2]) };
  }
  return undefined;
}

function ownCodeDir(here: string): string {
  const top = /^(.*\/(?:dist|src))(?:\/|$)/.exec(here);
  return `${top ? top[1] : here}/`;
}

/** Larger than any source or source map a person writes; a bundle with inline maps fits. */
const MAX_SOURCE_BYTES = 64 * 1024 * 1024;

/** What the file cache keeps in all: two files of the largest size. */
const MAX_CACHED_CHARS = 2 * MAX_SOURCE_BYTES;

/**
 * Files read, by path, for the docs of the functions wrapped after them. Bounded by the characters kept:
 * each file is capped, but a process may name many (every map path spelled another way is another file).
 */
const fileCache = new LRUCache<string, { text: string | null }>({
  maxSize: MAX_CACHED_CHARS,
  sizeCalculation: (entry) => Math.max(1, entry.text?.length ?? 0),
});

/**
 * A regular file's text, up to MAX_SOURCE_BYTES; null for anything else. A source map comment may name
 * any path: /dev/zero would be read without end and a FIFO would block the open, so the file is opened
 * without blocking and looked at before it is read.
 */
function readRegularFile(file: string): string | null {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.size > MAX_SOURCE_BYTES) return null;
    // Read up to the cap whatever the size said: files of /proc and /sys say 0, and some never end.
    let buffer = Buffer.allocUnsafe(Math.min(Math.max(stats.size + 1, 64 * 1024), MAX_SOURCE_BYTES + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_SOURCE_BYTES) return null;
        const grown = Buffer.allocUnsafe(Math.min(length * 2, MAX_SOURCE_BYTES + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) return buffer.toString('utf8', 0, length);
      length += read;
    }
  } finally {
    closeSync(fd);
  }
}

function readText(file: string): string | null {
  let text = fileCache.get(file)?.text;
  if (text === undefined) {
    try {
      text = readRegularFile(file);
    } catch {
      text = null;
    }
    fileCache.set(file, { text });
  }
  return text;
}

function readLines(file: string): string[] | null {
  return readText(file)?.split('\n') ?? null;
}

const TYPESCRIPT_FILE = /\.[cm]?tsx?$/;

/**
 * The signature of a function wrapped at `locations`, as written in its TypeScript source: the `.ts`
 * file itself (through a loader, or Node's type stripping), or, for compiled `.js`, the TypeScript
 * its source map names or holds. Undefined when no such source can be read.
 */
export function writtenSignature(locations: (SourceLocation | undefined)[], fnName: string | undefined, servedName: string): WrittenSignature | undefined {
  for (const location of locations) {
    const source = location && typeScriptSource(location);
    if (!source) continue;
    const found = findWrittenSignature(source.text, { name: fnName, line: source.line, served: servedName });
    if (found) return found;
  }
  return undefined;
}

function typeScriptSource(location: SourceLocation): { text: string; line: number | undefined } | undefined {
  if (TYPESCRIPT_FILE.test(location.file)) {
    const text = readText(location.file);
    return text === null ? undefined : { text, line: location.line };
  }
  const js = readText(location.file);
  const url = js && /\/\/# sourceMappingURL=(\S+)\s*$/.exec(js)?.[1];
  if (!url) return undefined;
  // Compiled JavaScript: its lines are not the source's, so only the function's name can find it there.
  const text = sourceFromMap(url, dirname(location.file));
  return text === undefined ? undefined : { text, line: undefined };
}

function sourceFromMap(url: string, jsDir: string): string | undefined {
  let map: { sources?: string[]; sourcesContent?: (string | null)[]; sourceRoot?: string };
  let mapDir = jsDir;
  try {
    const inline = /^data:application\/json(?:;charset=[\w-]+)?;base64,(.*)$/.exec(url);
    if (inline) map = JSON.parse(Buffer.from(inline[1]!, 'base64').toString('utf8')) as typeof map;
    else {
      const path = resolve(jsDir, url);
      mapDir = dirname(path);
      map = JSON.parse(readText(path) ?? 'null') as typeof map;
    }
  } catch {
    return undefined;
  }
  const index = map?.sources?.findIndex((s) => TYPESCRIPT_FILE.test(s)) ?? -1;
  if (index < 0) return undefined;
  const content = map.sourcesContent?.[index];
  if (typeof content === 'string') return content;
  const source = map.sources![index]!;
  const path = source.startsWith('file:') ? fileURLToPath(source) : resolve(mapDir, map.sourceRoot ?? '', source);
  return readText(path) ?? undefined;
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
