// Run by `npm run build` after tsc: lets a strict app compile against our declarations without
// the optional client packages they name.
//
// Our declarations import ioredis's types (the module's ioredis options, the ioredis clients a
// LockClient may be). ioredis is an optional peer dependency: an app on node-redis or iovalkey
// alone has no 'ioredis' to resolve, and with `skipLibCheck: false` TypeScript stops at our
// files (TS2307). tsc drops comments on the imports it writes, so each such import gets its
// `@ts-ignore` here: where ioredis is missing, its types read as `any`; where it is installed,
// nothing changes. Any other reference to an optional client package fails the build, so a new
// one cannot slip through unmarked.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OPTIONAL = ['ioredis', 'iovalkey', 'redis'];
const roots = process.argv.slice(2);
if (roots.length === 0) {
  console.error('usage: node tools/build/optional-peer-types.mjs <declaration dir>...');
  process.exit(2);
}

const quoted = OPTIONAL.map((name) => `'${name}'|"${name}"`).join('|');
// `\r?`: tsc ends lines with CRLF on Windows.
const typeImport = new RegExp(`^import type \\{[^}]*\\} from (?:${quoted});\\r?$`);
const anyReference = new RegExp(`(?:from |import\\()(?:${quoted})`);
const MARK = '// @ts-ignore: an optional peer dependency; without it these types are any';

let marked = 0;
const unmarked = [];
for (const root of roots) {
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const lines = readFileSync(path, 'utf8').split('\n');
    const out = [];
    lines.forEach((line, i) => {
      if (typeImport.test(line)) {
        if (lines[i - 1]?.trimEnd() !== MARK) out.push(MARK);
        marked += 1;
      } else if (anyReference.test(line) && !line.trimStart().startsWith('*')) {
        unmarked.push(`${path}:${i + 1}: ${line.trim()}`);
      }
      out.push(line);
    });
    writeFileSync(path, out.join('\n'));
  }
}
if (unmarked.length > 0) {
  console.error(
    'Declarations refer to an optional client package other than by `import type { ... }` on one line:\n' +
      unmarked.join('\n'),
  );
  process.exit(1);
}
console.log(`optional peer type imports marked: ${marked}`);
