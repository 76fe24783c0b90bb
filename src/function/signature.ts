/**
 * Reads a function's parameters from its own source with a real JavaScript
 * parser, so keyword arguments can be bound by name as in Python.
 */
import { parse, type Node, type Pattern, type Function as FunctionNode } from 'acorn';
import type { ParamInfo } from './introspection.js';
import type { WrittenSignature } from './ts-signature.js';

export interface ParsedFunction {
  params: ParamInfo[];
  /** The first comment inside the body, if any (a Python-style docstring). */
  bodyComment: string | undefined;
  isGenerator: boolean;
  isAsync: boolean;
  /** No source to read (a bound function, a Proxy, a native function): its parameters are unknown. */
  sourceless?: true;
}

/**
 * Parses `fn.toString()`. A function whose source can't be read takes `...args`: its `length` counts only
 * the parameters before the first default, so enforcing it would refuse calls the function accepts.
 */
export function parseFunction(fn: (...args: never[]) => unknown): ParsedFunction {
  const source = Function.prototype.toString.call(fn);
  const node = parseFunctionSource(source);
  if (!node) {
    return {
      params: [{ name: 'args', optional: true, rest: true, positionalOnly: true }],
      bodyComment: undefined,
      isGenerator: false,
      isAsync: false,
      sourceless: true,
    };
  }
  return {
    params: node.fn.params.map((p, i) => paramInfo(p, i, node.source)),
    bodyComment: firstBodyComment(node.source, node.fn),
    isGenerator: node.fn.generator,
    isAsync: node.fn.async,
  };
}

function parseFunctionSource(source: string): { fn: FunctionNode; source: string } | undefined {
  // A function or arrow parses as an expression; a method (`norm(x) {}`,
  // `async *items() {}`) only inside an object literal.
  for (const [prefix, suffix] of [
    ['(', ')'],
    ['({', '})'],
    ['(class { ', ' })'],
  ] as const) {
    const text = prefix + source + suffix;
    try {
      const program = parse(text, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true });
      const fn = findFunction(program as unknown as Node);
      if (fn) return { fn, source: text };
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function findFunction(node: Node): FunctionNode | undefined {
  const n = node as unknown as Record<string, unknown> & Node;
  if (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression' || n.type === 'FunctionDeclaration') {
    return n as unknown as FunctionNode;
  }
  for (const key of ['body', 'expression', 'properties', 'value', 'declarations', 'init']) {
    const child = n[key];
    if (Array.isArray(child)) {
      for (const c of child) {
        const found = c && typeof c === 'object' ? findFunction(c as Node) : undefined;
        if (found) return found;
      }
    } else if (child && typeof child === 'object' && 'type' in (child as object)) {
      const found = findFunction(child as Node);
      if (found) return found;
    }
  }
  return undefined;
}

function paramInfo(param: Pattern, index: number, source: string): ParamInfo {
  switch (param.type) {
    case 'Identifier':
      return { name: param.name, optional: false, rest: false };
    case 'AssignmentPattern': {
      const value = source.slice(param.right.start, param.right.end).replace(/\s+/g, ' ');
      if (param.left.type === 'Identifier') return { name: param.left.name, optional: true, rest: false, default: value };
      return { ...destructured(param.left, index), optional: true, default: value };
    }
    case 'RestElement':
      if (param.argument.type === 'Identifier') return { name: param.argument.name, optional: true, rest: true };
      return { ...destructured(param.argument, index), optional: true, rest: true };
    default:
      return destructured(param, index);
  }
}

function destructured(param: Pattern, _index: number): ParamInfo {
  const name = param.type === 'ArrayPattern' ? '[…]' : '{…}';
  return { name, optional: false, rest: false, positionalOnly: true };
}

function firstBodyComment(source: string, fn: FunctionNode): string | undefined {
  if (fn.body.type !== 'BlockStatement') return undefined;
  const body = fn.body as unknown as { start: number; end: number; body: { start: number }[] };
  const firstStatement = body.body[0]?.start ?? body.end - 1;
  return leadingComment(source.slice(body.start + 1, firstStatement));
}

/** The comment (block or run of `//` lines) at the start of `text`, cleaned. */
export function leadingComment(text: string): string | undefined {
  const match = /^\s*(?:\/\*([\s\S]*?)\*\/|((?:[ \t]*\/\/[^\n]*\n?)+))/.exec(text);
  if (!match) return undefined;
  if (match[1] !== undefined) return cleanBlockComment(match[1]);
  return (
    match[2]!
      .split('\n')
      .map((line) => line.trim().replace(/^\/\/\s?/, ''))
      .join('\n')
      .trim() || undefined
  );
}

/** Strips the `*` gutter of a block comment body, then dedents it like Python's inspect.cleandoc. */
export function cleanBlockComment(body: string): string | undefined {
  const lines = body.replace(/^\*/, '').split('\n');
  const gutter = lines.slice(1).every((line) => /^\s*\*/.test(line) || line.trim() === '');
  const stripped = gutter ? lines.map((line, i) => (i === 0 ? line : line.replace(/^\s*\* ?/, ''))) : lines;
  const indents = stripped
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => /^\s*/.exec(line)![0].length);
  const indent = indents.length > 0 ? Math.min(...indents) : 0;
  const text = stripped
    .map((line, i) => (i === 0 ? line.trim() : line.slice(indent).trimEnd()))
    .join('\n')
    .trim();
  return text || undefined;
}

/**
 * The parameters read from the compiled function, completed from its TypeScript source: types, a `?`
 * (optional, though compiled code shows no trace of it), defaults as written, and the return type.
 * The source must describe the same parameters (names, rest, in order); if not, it is ignored.
 */
export function withWrittenTypes(params: readonly ParamInfo[], written: WrittenSignature | undefined): { params: ParamInfo[]; returns?: string } {
  if (!written || written.params.length !== params.length) return { params: [...params] };
  const same = params.every((p, i) => {
    const w = written.params[i]!;
    return w.rest === p.rest && (p.positionalOnly ? /^[[{]/.test(w.name) : w.name === p.name);
  });
  if (!same) return { params: [...params] };
  const merged = params.map((p, i): ParamInfo => {
    const w = written.params[i]!;
    const info: ParamInfo = { ...p, optional: p.optional || w.question };
    if (w.type !== undefined) info.type = w.type;
    const value = w.default ?? p.default;
    if (value !== undefined) info.default = value;
    return info;
  });
  return written.returns === undefined ? { params: merged } : { params: merged, returns: written.returns };
}

/** `add(a, b?, ...rest)`: `?` marks a parameter that may be left out. */
export function formatSignature(name: string, params: readonly ParamInfo[]): string {
  const parts = params.map((p) => (p.rest ? `...${p.name}` : p.optional ? `${p.name}?` : p.name));
  return `${name}(${parts.join(', ')})`;
}
