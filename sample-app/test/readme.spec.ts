import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TABLE_ROWS } from '../demo/report';

/** The first column of every outcome table in a Markdown text. */
function tables(markdown: string): string[][] {
  const found: string[][] = [];
  for (const block of markdown.split('\n\n')) {
    const rows = block.split('\n').filter((line) => line.startsWith('| '));
    if (rows.length < 3 || !/^\|-+\|/.test(block.split('\n').find((l) => l.startsWith('|-')) ?? ''))
      continue;
    found.push(rows.slice(1).map((row) => row.split('|')[1]!.trim()));
  }
  return found;
}

describe('the demo output shown by the README and the documentation site', () => {
  const root = join(__dirname, '..', '..');
  const shownIn = ['README.md', join('docs', 'guide', 'sample-app.md')]
    .map((file) => readFileSync(join(root, file), 'utf8'))
    .join('\n\n');

  it('shows the rows the demo prints, in its order, in every outcome table it shows', () => {
    const shown = tables(shownIn).filter((rows) => rows.includes('stock + sold = initial'));
    // The lock runs and the fault runs.
    expect(shown.length).toBeGreaterThanOrEqual(2);
    for (const rows of shown) expect(rows).toEqual(TABLE_ROWS.map(([name]) => name));
  });
});
