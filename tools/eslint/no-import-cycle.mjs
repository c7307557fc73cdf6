// @ts-check
// An ESLint rule: no module may import itself back through its relative imports, type-only
// imports included (a cycle of types still ties the files' designs together). The graph is read
// with TypeScript's own import scanner, so `import type`, `export ... from` and `import('...')`
// types all count.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** file -> { mtime, imports } : each file is scanned once per lint run unless it changed. */
const scanned = new Map();

/** The .ts file a relative specifier names (`./x.js` is `./x.ts`), or undefined. */
function resolve(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
  return candidates.find((file) => file.endsWith('.ts') && fs.existsSync(file));
}

function importsOf(file) {
  let mtime;
  try {
    mtime = fs.statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = scanned.get(file);
  if (cached && cached.mtime === mtime) return cached.imports;
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const imports = [];
  for (const { fileName } of info.importedFiles) {
    const target = resolve(file, fileName);
    if (target) imports.push(target);
  }
  scanned.set(file, { mtime, imports });
  return imports;
}

/** The shortest import path from `start` back to `target`, or undefined. */
function pathBack(start, target) {
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of importsOf(file)) {
      if (next === target) {
        const chain = [file];
        for (let at = previous.get(file); at !== undefined; at = previous.get(at))
          chain.unshift(at);
        return chain;
      }
      if (!previous.has(next)) {
        previous.set(next, file);
        queue.push(next);
      }
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid import cycles between modules, type-only imports included' },
    schema: [],
    messages: {
      cycle:
        'Import cycle: {{chain}}. Move what both sides need into a third module, or depend on an interface.',
    },
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      const target = resolve(file, specifier);
      if (!target) return;
      const chain = target === file ? [] : pathBack(target, file);
      if (!chain) return;
      const names = [file, ...chain, file].map((f) => path.relative(root, f));
      context.report({ node, messageId: 'cycle', data: { chain: names.join(' -> ') } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
      /** @param {any} node `import('./x.js').T` in a type */
      TSImportType: (node) => {
        const argument = node.argument?.literal ?? node.argument;
        check(node, argument?.value);
      },
    };
  },
};

export default { rules: { 'no-import-cycle': rule } };
