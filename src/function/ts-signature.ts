/**
 * Parameter types, `?` and defaults, and the return type, as written in a
 * function's TypeScript source. Compiled JavaScript keeps none of them (`title?`
 * leaves no trace), so they are read from the `.ts` file the function came from:
 * a small scanner over the parameter list, enough for types as people write them
 * (generics, function types, object and tuple types, string literals).
 */

/** One parameter as written: `name?: Type = default`. */
export interface WrittenParam {
  /** The identifier, or the destructuring pattern's text (`{ x, y }`). */
  name: string;
  /** Written with `?`. */
  question: boolean;
  rest: boolean;
  type: string | undefined;
  default: string | undefined;
}

export interface WrittenSignature {
  params: WrittenParam[];
  returns: string | undefined;
}

const IDENT = /[A-Za-z_$][\w$]*/y;

/** Where to look: the function's own name, the line of the `LIPModule(...)` call, the served name. */
export interface SignatureClue {
  name: string | undefined;
  line: number | undefined;
  /** For an anonymous function when the line is unknown: the `name` option of its `LIPModule({ name })` call. */
  served?: string | undefined;
}

/**
 * The signature of the function `name` (or, for an anonymous one, the function wrapped by the
 * `LIPModule(...)(...)` call) written nearest after line `line` (1-based) of `text`, if one can be found.
 */
export function findWrittenSignature(text: string, where: SignatureClue): WrittenSignature | undefined {
  const from = where.line === undefined ? 0 : offsetOfLine(text, where.line);
  const open =
    (where.name ? findDeclaration(text, where.name, from) : undefined) ?? findWrappedFunction(text, from, where.line === undefined ? where.served : undefined);
  if (open === undefined) return undefined;
  return parseFrom(text, open);
}

/**
 * The `(` of the parameter list of a declaration of `name` (`function name(`, a method `name(...) {`,
 * `name = (...) =>`): the first at or after `from`, else the last before it.
 */
function findDeclaration(text: string, name: string, from: number): number | undefined {
  const escaped = name.replace(/[$]/g, '\\$&');
  const pattern = new RegExp(`(?<![\\w$.])${escaped}\\s*(?:<[^()]*>\\s*)?(=\\s*(?:async\\s*)?(?:function\\s*\\*?\\s*[\\w$]*\\s*)?(?:<[^()]*>\\s*)?)?\\(`, 'g');
  let before: number | undefined;
  for (const match of text.matchAll(pattern)) {
    const open = match.index + match[0].length - 1;
    const close = matchingClose(text, open);
    if (close === undefined) continue;
    // A declaration's parameter list is followed by its body, return type or arrow; a call's is not.
    const assigned = match[1] !== undefined;
    if (
      !/^\s*(?:\{|:|=>)/.test(text.slice(close + 1, close + 40)) ||
      (assigned && !/^\s*(?::[^=]*)?=>/.test(text.slice(close + 1, close + 200)) && !/function/.test(match[1]!))
    )
      continue;
    if (match.index >= from) return open;
    before = open;
  }
  return before;
}

/**
 * After `LIPModule(...)(`: the `(` of the function expression's parameters (`function f(`, `async (`, `(`).
 * The first call at or after `from`; with `served`, the call whose options name it.
 */
function findWrappedFunction(text: string, from: number, served?: string): number | undefined {
  const call = /\bLIPModule\s*\(/g;
  call.lastIndex = from;
  for (let match = call.exec(text); match; match = call.exec(text)) {
    const optionsEnd = matchingClose(text, match.index + match[0].length - 1);
    if (optionsEnd === undefined) return undefined;
    const options = text.slice(match.index, optionsEnd);
    if (served !== undefined && !new RegExp(`\\bname\\s*:\\s*(['"\`])${served.replace(/[.$]/g, '\\$&')}\\1`).test(options)) continue;
    const rest = /^\s*\(\s*(?:async\s*)?(?:function\s*\*?\s*[\w$]*\s*)?(?:<[^(]*>\s*)?\(/.exec(text.slice(optionsEnd + 1, optionsEnd + 400));
    return rest ? optionsEnd + rest[0].length : undefined;
  }
  return undefined;
}

function parseFrom(text: string, open: number): WrittenSignature | undefined {
  const close = matchingClose(text, open);
  if (close === undefined) return undefined;
  const params = splitTopLevel(text.slice(open + 1, close), ',')
    .map((p) => stripComments(p).trim())
    .filter(Boolean)
    .map(parseParam);
  if (params.some((p) => p === undefined)) return undefined;
  return { params: params as WrittenParam[], returns: returnType(text, close + 1) };
}

function parseParam(raw: string): WrittenParam | undefined {
  // Decorators and constructor modifiers say nothing to a caller.
  let text = raw.replace(/^(?:@[\w$.]+(?:\([^)]*\))?\s*)*/, '').replace(/^(?:(?:public|private|protected|readonly|override)\s+)+/, '');
  const rest = text.startsWith('...');
  if (rest) text = text.slice(3).trimStart();
  let name: string;
  let at: number;
  if (text[0] === '{' || text[0] === '[') {
    const end = matchingClose(text, 0);
    if (end === undefined) return undefined;
    name = collapse(text.slice(0, end + 1));
    at = end + 1;
  } else {
    IDENT.lastIndex = 0;
    const ident = IDENT.exec(text);
    if (!ident) return undefined;
    name = ident[0];
    at = ident[0].length;
  }
  let after = text.slice(at).trimStart();
  const question = after.startsWith('?');
  if (question) after = after.slice(1).trimStart();
  let type: string | undefined;
  let value: string | undefined;
  if (after.startsWith(':')) {
    const [typeText, defaultText] = splitTopLevel(after.slice(1), '=', 2);
    type = collapse(typeText!);
    value = defaultText === undefined ? undefined : collapse(defaultText);
  } else if (after.startsWith('=')) value = collapse(after.slice(1));
  else if (after !== '') return undefined;
  return { name, question, rest, type: type || undefined, default: value || undefined };
}

/** `): Type {` or `): Type =>`: the return type's text. */
function returnType(text: string, from: number): string | undefined {
  const colon = /^\s*:/.exec(text.slice(from, from + 200));
  if (!colon) return undefined;
  let depth = 0;
  let out = '';
  for (let i = from + colon[0].length; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && text[i + 1] === '>') {
      if (depth === 0) break;
      out += '=>';
      i++;
      continue;
    }
    if (depth === 0 && c === '{' && !/(?:^|[|&<,(:]|=>|keyof|typeof)\s*$/.test(out)) break;
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if (c === ')' || c === ']' || c === '}' || c === '>') depth--;
    if (depth < 0) return undefined;
    out += c;
  }
  return collapse(out) || undefined;
}

/**
 * Splits at `separator` where nothing is open: brackets, angle brackets, strings, template literals,
 * comments. For `=`, only a lone `=` counts (not `=>`, `==`, `<=`, `>=`, `!=`). At most `limit` parts.
 */
function splitTopLevel(text: string, separator: ',' | '=', limit = Infinity): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  walkCode(text, 0, (i) => {
    const c = text[i]!;
    // An arrow's `=>` neither separates nor closes anything.
    if ((c === '=' && text[i + 1] === '>') || (c === '>' && text[i - 1] === '=')) return;
    if (c === '(' || c === '[' || c === '{' || c === '<') depth++;
    else if (c === ')' || c === ']' || c === '}' || c === '>') depth = Math.max(0, depth - 1);
    else if (depth === 0 && c === separator && parts.length < limit - 1) {
      if (separator === '=' && (text[i + 1] === '=' || /[=!<>]/.test(text[i - 1] ?? ''))) return;
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  });
  parts.push(text.slice(start));
  return parts;
}

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** The index of the bracket closing the one at `open`, skipping strings and comments. */
function matchingClose(text: string, open: number): number | undefined {
  const expected: string[] = [];
  let mismatched = false;
  const at = walkCode(text, open, (i) => {
    const c = text[i]!;
    if (CLOSING[c]) expected.push(CLOSING[c]!);
    else if (c === ')' || c === ']' || c === '}') {
      mismatched = expected.pop() !== c;
      return mismatched || expected.length === 0;
    }
  });
  return mismatched ? undefined : at;
}

/**
 * The one walk over TypeScript text every scan here makes: calls `visit(i)` at each index from `from`
 * that is code, stepping over strings, template literals (`${...}` included) and comments whole, each
 * told to `skipped(start, end)` (end inclusive) if given. Stops where `visit` returns true, and returns
 * that index; undefined at the end of the text.
 */
function walkCode(
  text: string,
  from: number,
  // biome-ignore lint/suspicious/noConfusingVoidType: visitors that return nothing mean "go on"
  visit: (i: number) => boolean | undefined | void,
  skipped?: (start: number, end: number, what: 'string' | 'comment') => void,
): number | undefined {
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(text, i);
      skipped?.(i, end, 'string');
      i = end;
    } else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      const end = skipComment(text, i);
      skipped?.(i, end, 'comment');
      i = end;
    } else if (visit(i)) return i;
  }
  return undefined;
}

/** The index of the quote ending the string or template literal that starts at `i` (`${...}` nested). */
function skipString(text: string, i: number): number {
  const quote = text[i];
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === quote) return j;
    else if (quote === '`' && c === '$' && text[j + 1] === '{') j = matchingClose(text, j + 1) ?? text.length;
  }
  return text.length;
}

function skipComment(text: string, i: number): number {
  const end = text[i + 1] === '/' ? text.indexOf('\n', i) : text.indexOf('*/', i + 2) + 1;
  return end <= 0 ? text.length : end;
}

function stripComments(text: string): string {
  let out = '';
  walkCode(
    text,
    0,
    (i) => void (out += text[i]),
    (start, end, what) => void (what === 'string' && (out += text.slice(start, end + 1))),
  );
  return out;
}

/** Types and defaults on one line, with single spaces: as a signature shows them. */
function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function offsetOfLine(text: string, line: number): number {
  let offset = 0;
  for (let n = 1; n < line; n++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}
