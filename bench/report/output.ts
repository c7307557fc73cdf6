import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMarkdown, type Table } from './format.js';
import type { BenchResults } from './results.js';
import { renderChart } from './svg.js';

export interface WrittenFiles {
  readonly json: string;
  readonly svg: string | undefined;
  readonly markdown: string;
}

/**
 * Writes `<base>.json` (every figure, versions, settings, machine), `<base>.svg` (the chart) and
 * `<base>.md` (the tables, ready for the README) into `directory`.
 */
export function writeResults(
  results: BenchResults,
  tables: readonly Table[],
  directory: string,
  base: string,
): WrittenFiles {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, `${base}.json`);
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const chart = renderChart(results);
  const svg = chart === undefined ? undefined : join(directory, `${base}.svg`);
  if (svg) writeFileSync(svg, chart!);
  const m = results.machine;
  const markdown = join(directory, `${base}.md`);
  writeFileSync(
    markdown,
    [
      `Run of ${results.startedAt} (${results.mode}, ${results.durationS ?? '?'} s) at commit ${results.versions.commit}: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Redis ${m.redis ?? '?'}; load average ${m.loadAverageAtStart.toFixed(2)} at start, ${m.loadAverageAtEnd?.toFixed(2) ?? '?'} at end.`,
      '',
      ...tables.flatMap((table) => [renderMarkdown(table), '']),
    ].join('\n'),
  );
  return { json, svg, markdown };
}
