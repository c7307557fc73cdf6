import type { ContentionFigures } from '../scenarios/contention/coordinator.js';
import type { BenchResults } from './results.js';

const COLORS: Readonly<Record<string, string>> = {
  floor: '#7f7f7f',
  ours: '#1f77b4',
  redlock: '#d62728',
  'redis-semaphore': '#2ca02c',
};

const WIDTH = 960;
const LABEL_WIDTH = 190;
const PANEL_GAP = 40;
const PANEL_WIDTH = (WIDTH - 2 * LABEL_WIDTH - PANEL_GAP - 40) / 2;
const BAR = 22;
const ROW = 30;
const TOP = 74;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Panel {
  readonly title: string;
  readonly x: number;
  readonly values: readonly number[];
  readonly format: (v: number) => string;
  /** Log scale for command counts: the spin floor sends orders of magnitude more. */
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
  const out = [
    `<text x="${panel.x}" y="${TOP - 16}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`,
  ];
  rows.forEach((row, i) => {
    const y = TOP + i * ROW;
    const value = panel.values[i]!;
    const length = barLength(panel, value, max);
    const tuned = row.id.endsWith('/tuned');
    out.push(
      `<text x="${panel.x - 8}" y="${y + BAR / 2 + 5}" font-size="13" text-anchor="end">${escapeXml(row.id)}</text>`,
      `<rect x="${panel.x}" y="${y}" width="${length.toFixed(1)}" height="${BAR}" fill="${COLORS[library(row.id)] ?? '#999'}"${tuned ? ' fill-opacity="0.55"' : ''}/>`,
      `<text x="${(panel.x + length + 6).toFixed(1)}" y="${y + BAR / 2 + 5}" font-size="12">${escapeXml(panel.format(value))}</text>`,
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
  const height = TOP + rows.length * ROW + 56;
  const left: Panel = {
    title: 'Handoff throughput (critical sections/s, higher is better)',
    x: LABEL_WIDTH,
    values: rows.map((r) => r.criticalSectionsPerSec),
    format: (v) => v.toFixed(0),
    log: false,
  };
  const right: Panel = {
    title: 'Commands per critical section (log scale, lower is better)',
    x: LABEL_WIDTH * 2 + PANEL_WIDTH + PANEL_GAP,
    values: rows.map((r) => r.commandsPerCriticalSection),
    format: (v) => v.toFixed(1),
    log: true,
  };
  const m = results.machine;
  const caption = `${c.processes * c.workersPerProcess} workers in ${c.processes} processes on one key, hold ${c.holdMs} ms, pause ${c.pauseMs} ms; medians of ${c.rounds} interleaved rounds (${results.mode} run). ${m.cpuModel}, ${m.cores} cores, Node ${m.node}, Redis ${m.redis ?? '?'}; ${results.startedAt.slice(0, 10)}.`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="bold">Contended lock on one key: throughput and command cost</text>`,
    ...renderPanel(left, rows, library),
    ...renderPanel(right, rows, library),
    `<text x="16" y="${height - 30}" font-size="11" fill="#444">${escapeXml(caption)}</text>`,
    `<text x="16" y="${height - 14}" font-size="11" fill="#444">Commands = what the clients sent (Lua-internal calls excluded). Lighter bars: settings tuned for low latency. Floor: SET NX PX retried at once (spin).</text>`,
    '</svg>',
    '',
  ].join('\n');
}
