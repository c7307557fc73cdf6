import type { LockKey } from '../core/lock-manager.js';
import { describeValue } from '../core/options/describe-value.util.js';
import { LockKeyError } from '../errors/lock-key.error.js';
import { readParameterNames } from './parameter-names.util.js';
import type { AnyFunction } from '../utils/any-function.type.js';

/**
 * A key built from a decorated method's arguments, typed against them.
 * @publicApi
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LockKeyFunction<A extends unknown[] = any[]> = (...args: A) => LockKey;

/**
 * What `@DistributedLock` accepts as its key: a template such as `'order:<orderId>'`, a list of
 * templates for a multi-key lock, or a function of the method's arguments.
 * @publicApi
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LockKeySource<A extends unknown[] = any[]> =
  string | readonly string[] | LockKeyFunction<A>;

/** Where our own wrappers keep the parameter names of the method they wrap. @internal */
export const PARAMETER_NAMES = Symbol.for('nestjs-redis-lock:parameter-names');

type Segment =
  | { readonly text: string }
  | {
      /** As written, for messages: `<dto.customer.id>`. */
      readonly placeholder: string;
      /** A parameter name or a position. */
      readonly parameter: string | number;
      readonly path: readonly string[];
    };

/** Turns a call's arguments into the lock key. Throws `LockKeyError`. @internal */
export type KeyResolver = (args: readonly unknown[]) => LockKey;

/** A key source checked and parsed once, when the decorator is applied. @internal */
export interface CompiledLockKey {
  /** The source as written (templates) or `'(function)'`, for messages and metadata. */
  readonly description: string;
  /** Binds the placeholders to the parameters of `method`; throws when they do not fit. */
  bind(method: AnyFunction, methodLabel: string): KeyResolver;
}

const PLACEHOLDER = /^(?:\d+|[A-Za-z_$][\w$]*)(?:\.(?:\d+|[A-Za-z_$][\w$]*))*$/;

/**
 * Parses a key source. Templates use `<...>` placeholders (angle brackets, so that a Redis
 * Cluster `{hash tag}` can stand in the key): `<orderId>` (a parameter by name), `<0>` (by
 * position), `<dto.customer.id>` / `<0.customer.id>` (a property path).
 * @internal
 */
export function compileLockKey(
  source: unknown,
  /** The decorator the key belongs to, for messages. */
  decorator = '@DistributedLock',
): CompiledLockKey {
  if (typeof source === 'function') return compileFunction(source as LockKeyFunction, decorator);
  if (typeof source === 'string') return compileTemplates([source], false, decorator);
  if (Array.isArray(source)) {
    if (source.length === 0 || source.some((template) => typeof template !== 'string')) {
      throw new LockKeyError(
        describeValue(source),
        `${decorator} needs a non-empty list of key templates, like ['account:<from>', 'account:<to>'], but received ${source.length === 0 ? 'an empty list' : 'a list with a non-string entry'}.`,
      );
    }
    return compileTemplates(source as string[], true, decorator);
  }
  throw new LockKeyError(
    describeValue(source),
    `${decorator} needs a key: a template like 'order:<orderId>', a list of templates, or a function of the method's arguments, but received ${describeValue(source)}.`,
  );
}

function compileFunction(fn: LockKeyFunction, decorator: string): CompiledLockKey {
  return {
    description: '(function)',
    bind(_method, methodLabel) {
      return (args) => {
        const key = fn(...args);
        if (
          typeof key === 'string' ||
          (Array.isArray(key) && key.every((k) => typeof k === 'string'))
        ) {
          return key;
        }
        throw new LockKeyError(
          '(function)',
          `The key function of ${decorator} on ${methodLabel} returned ${describeValue(key)} instead of a string or a list of strings. The method was not run.`,
        );
      };
    },
  };
}

function compileTemplates(
  templates: readonly string[],
  multi: boolean,
  decorator: string,
): CompiledLockKey {
  const parsed = templates.map((template) => parseTemplate(template, decorator));
  const description = multi ? `[${templates.map((t) => `'${t}'`).join(', ')}]` : templates[0]!;
  return {
    description,
    bind(method, methodLabel) {
      const resolvers = parsed.map((segments, i) =>
        bindTemplate(templates[i]!, segments, method, methodLabel, decorator),
      );
      return multi ? (args) => resolvers.map((resolve) => resolve(args)) : resolvers[0]!;
    },
  };
}

function parseTemplate(template: string, decorator: string): Segment[] {
  const fail = (problem: string): never => {
    throw new LockKeyError(
      template,
      `Invalid ${decorator} key template '${template}': ${problem}. Placeholders look like <orderId>, <0> or <dto.customer.id>; for anything else use a function key, e.g. (orderId) => \`order:\${orderId}\`.`,
    );
  };
  if (template.length === 0) fail('it is empty');
  const segments: Segment[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '>') fail(`a '>' at position ${i} closes no placeholder`);
    if (ch !== '<') {
      text += ch;
      continue;
    }
    const close = template.indexOf('>', i + 1);
    if (close === -1) fail(`the '<' at position ${i} is never closed`);
    const inner = template.slice(i + 1, close);
    if (!PLACEHOLDER.test(inner))
      fail(`'<${inner}>' is not a parameter name, position or property path`);
    if (text) segments.push({ text });
    text = '';
    const [first, ...path] = inner.split('.');
    segments.push({
      placeholder: `<${inner}>`,
      parameter: /^\d+$/.test(first!) ? Number(first) : first!,
      path,
    });
    i = close;
  }
  if (text) segments.push({ text });
  return segments;
}

function bindTemplate(
  template: string,
  segments: readonly Segment[],
  method: AnyFunction,
  methodLabel: string,
  decorator: string,
): (args: readonly unknown[]) => string {
  const byName = segments.some((s) => 'parameter' in s && typeof s.parameter === 'string');
  const names = byName ? parameterNamesOf(method) : [];
  if (byName && names === undefined) {
    throw new LockKeyError(
      template,
      `${decorator}('${template}') on ${methodLabel} uses parameter names, but they cannot be read from the method (it is minified, or already wrapped by another decorator into (...args)). ` +
        `Use positions like '${example(segments, true)}', or a function key such as (orderId) => \`order:\${orderId}\`.`,
    );
  }
  const bound = segments.map((segment) => {
    if (!('parameter' in segment)) return segment;
    let index = segment.parameter;
    if (typeof index === 'string') {
      const position = names!.indexOf(index);
      if (position === -1) {
        const known = names!.filter((n) => n !== undefined);
        throw new LockKeyError(
          template,
          `${decorator}('${template}') on ${methodLabel}: ${segment.placeholder} names no parameter (the parameters are ${known.length ? known.map((n) => `'${n}'`).join(', ') : 'unnamed'}). ` +
            `Fix the name, use a position like '<${names!.length > 0 ? 0 : 'n'}${segment.path.length ? `.${segment.path.join('.')}` : ''}>', or a function key; if the code is minified, names cannot be used.`,
          segment.placeholder,
        );
      }
      index = position;
    }
    return { ...segment, index };
  });
  return (args) => {
    let key = '';
    for (const segment of bound) {
      key +=
        'index' in segment
          ? valueOf(segment, args, template, methodLabel, decorator)
          : segment.text;
    }
    return key;
  };
}

function valueOf(
  segment: {
    placeholder: string;
    parameter: string | number;
    path: readonly string[];
    index: number;
  },
  args: readonly unknown[],
  template: string,
  methodLabel: string,
  decorator: string,
): string {
  let value: unknown = args[segment.index];
  let reached =
    typeof segment.parameter === 'number' ? `argument ${segment.index}` : segment.parameter;
  for (const property of segment.path) {
    if (value === null || value === undefined) break;
    value = (value as Record<string, unknown>)[property];
    reached += `.${property}`;
  }
  const reject = (what: string): never => {
    throw new LockKeyError(
      template,
      `${decorator}('${template}') on ${methodLabel}: ${segment.placeholder} is ${what}, which cannot name a lock (the key would read "${what}"). The method was not run; check the argument (${reached}) before the call.`,
      segment.placeholder,
    );
  };
  switch (typeof value) {
    case 'string':
      if (value.length === 0) reject('an empty string');
      return value;
    case 'number':
      if (!Number.isFinite(value)) reject(String(value));
      return String(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (value === undefined || value === null) return reject(String(value));
      return reject(Array.isArray(value) ? 'an array' : `${describeValue(value)}`);
  }
}

function parameterNamesOf(method: AnyFunction): Array<string | undefined> | undefined {
  const remembered = (method as unknown as Record<symbol, unknown>)[PARAMETER_NAMES];
  if (Array.isArray(remembered)) return remembered as Array<string | undefined>;
  return readParameterNames(method);
}

function example(segments: readonly Segment[], positional: boolean): string {
  let i = 0;
  return segments
    .map((s) =>
      'parameter' in s
        ? `<${positional ? i++ : s.parameter}${s.path.map((p) => `.${p}`).join('')}>`
        : s.text,
    )
    .join('');
}
