import type { ContentionFigures } from '../scenarios/contention/coordinator.js';
import type { BenchResults } from './results.js';

const COLORS: Readonly<Record<string, string>> = {
  floor: '#7f7f7f',
  ours: '#1f77b4',
  redlock: '#d62728',
  'redis-semaphore': '#2ca02c',
};

const WIDTH = 900;
const LABEL_WIDTH = 200;
/** Room right of the longest bar for its value. */
const VALUE_ROOM = 70;
const PANEL_WIDTH = WIDTH - LABEL_WIDTH - VALUE_ROOM;
const BAR = 20;
const ROW = 27;
const PANEL_TITLE = 30;
const PANEL_GAP = 24;
const TOP = 40;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Panel {
  readonly title: string;
  /** Top of the panel. */
  readonly y: number;
  readonly values: readonly number[];
  readonly format: (v: number) => string;
  /** Log scale for command counts: the spin floor sends an order of magnitude more. */
  readonly log: boolean;
}

function barLength(panel: Panel, value: number, max: number): number {
  if (!(value > 0)) return 0;
  if (!panel.log) return (value / max) * PANEL_WIDTH;
  // log10 from 1 command (the axis origin) to the largest value.
  return (Math.log10(Math.max(1, value)) / Math.log10(Math.max(10, max))) * PANEL_WIDTH;
}

function renderPanel(
  panel: Panel,
  rows: readonly ContentionFigures[],
  library: (id: string) => string,
): string[] {
  const max = Math.max(...panel.values.filter(Number.isFinite), 1);
  const x = LABEL_WIDTH;
  const out = [
    `<text x="${x}" y="${panel.y + 18}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`,
  ];
  rows.forEach((row, i) => {
    const y = panel.y + PANEL_TITLE + i * ROW;
    const value = panel.values[i]!;
    const length = barLength(panel, value, max);
    const tuned = row.id.endsWith('/tuned');
    const label = library(row.id) === 'floor' ? `${row.id} (spin)` : row.id;
    out.push(
      `<text x="${x - 8}" y="${y + BAR / 2 + 5}" font-size="13" text-anchor="end">${escapeXml(label)}</text>`,
      `<rect x="${x}" y="${y}" width="${length.toFixed(1)}" height="${BAR}" fill="${COLORS[library(row.id)] ?? '#999'}"${tuned ? ' fill-opacity="0.55"' : ''}/>`,
      `<text x="${(x + length + 6).toFixed(1)}" y="${y + BAR / 2 + 5}" font-size="12">${escapeXml(panel.format(value))}</text>`,
    );
  });
  return out;
}

/**
 * The contention scenario as a picture: how many critical sections per second each contender
 * hands over, and how many commands each one costs. Plain SVG, no dependency.
 */
export function renderChart(results: BenchResults): string | undefined {
  const rows = results.contention;
  if (!rows || rows.length === 0) return undefined;
  const library = (id: string): string =>
    results.contenders.find((c) => c.id === id)?.library ?? '';
  const c = results.parameters.contention;
  const panelHeight = PANEL_TITLE + rows.length * ROW;
  const m = results.machine;
  const height = TOP + 2 * panelHeight + PANEL_GAP + 66;
  const throughput: Panel = {
    title: 'Handoff throughput: critical sections per second (higher is better)',
    y: TOP,
    values: rows.map((r) => r.criticalSectionsPerSec),
    format: (v) => v.toFixed(0),
    log: false,
  };
  const cost: Panel = {
    title: 'Command cost: commands sent per critical section (log scale, lower is better)',
    y: TOP + panelHeight + PANEL_GAP,
    values: rows.map((r) => r.commandsPerCriticalSection),
    format: (v) => v.toFixed(1),
    log: true,
  };
  const captions = [
    `${c.processes * c.workersPerProcess} workers in ${c.processes} processes on one key, hold ${c.holdMs} ms, pause ${c.pauseMs} ms; medians of ${c.rounds} interleaved rounds (${results.mode} run, ${results.startedAt.slice(0, 10)}).`,
    `${m.cpuModel}, ${m.cores} cores, ${m.os}, Node ${m.node}, Redis ${m.redis ?? '?'}. Floor: SET NX PX retried at once.`,
    'Commands = what the clients sent (Lua-internal calls excluded). Lighter bars: settings tuned for low latency.',
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="bold">Contended lock on one key: throughput and command cost</text>`,
    ...renderPanel(throughput, rows, library),
    ...renderPanel(cost, rows, library),
    ...captions.map(
      (line, n) =>
        `<text x="16" y="${height - 44 + n * 16}" font-size="11" fill="#444">${escapeXml(line)}</text>`,
    ),
    '</svg>',
    '',
  ].join('\n');
}
