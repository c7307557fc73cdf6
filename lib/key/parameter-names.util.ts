import type { AnyFunction } from '../utils/any-function.type.js';

/**
 * Reads the parameter names of a function from its source text, for `'order:<orderId>'`
 * templates. Returns one entry per parameter: its name, or `undefined` for a destructured
 * parameter; returns `undefined` when the names cannot be read at all (native code, a wrapper
 * that only has `...args`).
 * @internal
 */
export function readParameterNames(fn: AnyFunction): Array<string | undefined> | undefined {
  const source = Function.prototype.toString.call(fn);
  if (source.includes('[native code]')) return undefined;
  const open = parameterListStart(source);
  if (open === -1) return undefined;
  const params = splitTopLevel(source, open);
  if (params === undefined) return undefined;
  const names = params.map(parameterName);
  // A lone rest parameter is what wrapping decorators leave behind: the names are gone.
  if (params.length === 1 && params[0]!.trim().startsWith('...')) return undefined;
  return names;
}

/** Index of the "(" that opens the parameter list, or -1 (e.g. a single-parameter arrow). */
function parameterListStart(source: string): number {
  let i = 0;
  // Skip leading comments and whitespace.
  while (i < source.length) {
    if (source.startsWith('//', i)) i = source.indexOf('\n', i) + 1 || source.length;
    else if (source.startsWith('/*', i)) i = source.indexOf('*/', i) + 2;
    else if (/\s/.test(source[i]!)) i++;
    else break;
  }
  // Computed method names ([Symbol.iterator](...)) contain brackets: skip them.
  if (source[i] === '[') i = skipGroup(source, i);
  return source.indexOf('(', i);
}

/** Splits the parameter list starting at `open` ("(") into top-level parameter texts. */
function splitTopLevel(source: string, open: number): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      i = skipString(source, i);
      continue;
    }
    if (source.startsWith('//', i)) {
      i = source.indexOf('\n', i);
      if (i === -1) return undefined;
      continue;
    }
    if (source.startsWith('/*', i)) {
      i = source.indexOf('*/', i) + 1;
      if (i === 0) return undefined;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) {
        parts.push(source.slice(start, i));
        const cleaned = parts.map(stripComments);
        // "()" has no parameter; "(a, b,)" ends with a trailing comma.
        if (cleaned[cleaned.length - 1] === '') cleaned.pop();
        return cleaned;
      }
    } else if (ch === ',' && depth === 1) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  return undefined;
}

function parameterName(param: string): string | undefined {
  let text = param.trim();
  if (text.startsWith('...')) text = text.slice(3).trim();
  const match = /^([A-Za-z_$][\w$]*)\s*(=|$)/.exec(text);
  return match ? match[1] : undefined;
}

function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .trim();
}

function skipString(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i;
  }
  return source.length;
}

function skipGroup(source: string, start: number): number {
  let depth = 0;
  for (let i = start; i < source.length; i++) {
    if (source[i] === '[') depth++;
    else if (source[i] === ']' && --depth === 0) return i + 1;
  }
  return source.length;
}
