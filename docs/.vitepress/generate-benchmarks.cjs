// Builds the benchmark page's tables and chart from the last full run (bench/results/latest.*),
// so the site always shows what `npm run bench` wrote, never a hand-copied figure. Run by
// `npm run docs:build` and `npm run docs:dev` before VitePress; its output is git-ignored.
const { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..', '..');
const results = join(root, 'bench', 'results');
const tablesIn = join(results, 'latest.md');
const chartIn = join(results, 'latest.svg');
const tablesOut = join(__dirname, 'generated', 'benchmarks-latest.md');
const chartOut = join(__dirname, '..', 'public', 'generated', 'benchmarks-latest.svg');

for (const file of [tablesIn, chartIn]) {
  if (!existsSync(file)) {
    console.error(
      `${relative(root, file)} is missing: the benchmark page is built from the last full run. Run \`npm run bench\` (about 15 minutes, on a quiet machine) or restore the file from git.`,
    );
    process.exit(1);
  }
}

/** Markdown that VitePress renders as written: no HTML tags, no Vue interpolation. */
function escapeOutsideCode(line) {
  return line
    .split(/(`[^`]*`)/)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(/</g, '&lt;').replace(/\{\{/g, '&#123;&#123;'),
    )
    .join('');
}

const lines = readFileSync(tablesIn, 'utf8').trimEnd().split('\n');
const out = lines.map((line) => {
  // The report titles each table in bold; as headings they get anchors and a place in the outline.
  const title = /^\*\*(.+)\*\*$/.exec(line);
  return title ? `### ${escapeOutsideCode(title[1])}` : escapeOutsideCode(line);
});

mkdirSync(join(__dirname, 'generated'), { recursive: true });
mkdirSync(join(chartOut, '..'), { recursive: true });
writeFileSync(
  tablesOut,
  `<!-- Generated from bench/results/latest.md by docs/.vitepress/generate-benchmarks.cjs: do not edit. -->\n\n${out.join('\n')}\n`,
);
copyFileSync(chartIn, chartOut);
console.log(
  `Benchmark page: ${relative(root, tablesOut)} and ${relative(root, chartOut)} from ${relative(root, results)}/latest.*`,
);
