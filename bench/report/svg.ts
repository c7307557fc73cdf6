import type { ContentionShapeFigures } from '../scenarios/contention/coordinator.js';
import type { BenchResults } from './results.js';

const COLORS: Readonly<Record<string, string>> = {
  floor: '#7f7f7f',
  ours: '#1f77b4',
  redlock: '#d62728',
  'redis-semaphore': '#2ca02c',
};

const WIDTH = 1000;
const LABEL_WIDTH = 170;
const RIGHT_MARGIN = 12;
/** Room right of a bar for its value, within its cell. */
const VALUE_ROOM = 38;
const BAR = 14;
const ROW = 19;
const PANEL_TITLE = 26;
const COLUMN_HEADER = 30;
const PANEL_GAP = 18;
const TOP = 40;
const CAPTION_LINES = 4;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Panel {
  readonly title: string;
  readonly value: (shape: number, contender: number) => number;
  readonly format: (v: number) => string;
  /** Log scale for command counts: the spin floor sends an order of magnitude more. */
  readonly log: boolean;
  /** A fixed top of the scale (fairness is at most 1); otherwise the largest value. */
  readonly max?: number;
  /** A thin line at this value in every cell (the spin floor's 1.0). */
  readonly reference?: number;
}

function scaled(panel: Panel, value: number, max: number, length: number): number {
  if (!(value > 0)) return 0;
  if (!panel.log) return (Math.min(value, max) / max) * length;
  // log10 from 1 command (the axis origin) to the largest value.
  return (Math.log10(Math.max(1, value)) / Math.log10(Math.max(10, max))) * length;
}

/**
 * Scenario 3 as small multiples: a column per shape, a row per contender, one panel each for
 * throughput (× the spin floor), command cost and fairness. Plain SVG, no dependency.
 */
export function renderChart(results: BenchResults): string | undefined {
  const shapes: readonly ContentionShapeFigures[] | undefined = results.contention;
  if (!shapes || shapes.length === 0) return undefined;
  const ids = shapes[0]!.contenders.map((c) => c.id);
  const figure = (s: number, c: number) => shapes[s]!.contenders[c]!;
  const library = (id: string): string =>
    results.contenders.find((c) => c.id === id)?.library ?? '';
  const cell = (WIDTH - LABEL_WIDTH - RIGHT_MARGIN) / shapes.length;
  const barRoom = cell - VALUE_ROOM - 6;
  const panels: Panel[] = [
    {
      title:
        'Critical sections per second, × the spin floor in the same shape and round (higher is better)',
      value: (s, c) => figure(s, c).ratioToSpinFloor,
      format: (v) => v.toFixed(2),
      log: false,
      reference: 1,
    },
    {
      title:
        'Commands sent per critical section, every process counted (log scale, lower is better)',
      value: (s, c) => figure(s, c).commandsPerCriticalSection,
      format: (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)),
      log: true,
    },
    {
      title:
        'Fairness: fewest / most critical sections of any worker (higher is better; 0 = a worker starved)',
      value: (s, c) => figure(s, c).fairness,
      format: (v) => v.toFixed(2),
      log: false,
      max: 1,
    },
  ];
  const panelHeight = PANEL_TITLE + COLUMN_HEADER + ids.length * ROW;
  const height = TOP + panels.length * (panelHeight + PANEL_GAP) + CAPTION_LINES * 16 + 8;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="bold">Contended lock on one key, in every shape: throughput, command cost, fairness</text>`,
  ];
  panels.forEach((panel, p) => {
    const top = TOP + p * (panelHeight + PANEL_GAP);
    const values = shapes.flatMap((_, s) => ids.map((__, c) => panel.value(s, c)));
    const max = panel.max ?? Math.max(...values.filter(Number.isFinite), 1);
    out.push(
      `<text x="16" y="${top + 17}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`,
    );
    shapes.forEach(({ shape }, s) => {
      const x = LABEL_WIDTH + s * cell;
      const lines = [
        `${shape.workers} workers, pause ${shape.pauseMs}`,
        shape.managers === 'worker' ? 'manager per worker' : 'manager per process',
      ];
      lines.forEach((line, n) =>
        out.push(
          `<text x="${x.toFixed(1)}" y="${top + PANEL_TITLE + 11 + n * 12}" font-size="10" fill="#333">${escapeXml(line)}</text>`,
        ),
      );
      if (panel.reference !== undefined) {
        const rx = x + scaled(panel, panel.reference, max, barRoom);
        const y0 = top + PANEL_TITLE + COLUMN_HEADER - 3;
        out.push(
          `<line x1="${rx.toFixed(1)}" y1="${y0}" x2="${rx.toFixed(1)}" y2="${y0 + ids.length * ROW}" stroke="#999" stroke-dasharray="2,2"/>`,
        );
      }
    });
    ids.forEach((id, c) => {
      const y = top + PANEL_TITLE + COLUMN_HEADER + c * ROW;
      const label = library(id) === 'floor' ? `${id} (spin)` : id;
      out.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + BAR / 2 + 4}" font-size="12" text-anchor="end">${escapeXml(label)}</text>`,
      );
      const tuned = id.endsWith('/tuned');
      shapes.forEach((_, s) => {
        const x = LABEL_WIDTH + s * cell;
        const value = panel.value(s, c);
        const length = scaled(panel, value, max, barRoom);
        out.push(
          `<rect x="${x.toFixed(1)}" y="${y}" width="${length.toFixed(1)}" height="${BAR}" fill="${COLORS[library(id)] ?? '#999'}"${tuned ? ' fill-opacity="0.55"' : ''}/>`,
          `<text x="${(x + length + 3).toFixed(1)}" y="${y + BAR / 2 + 4}" font-size="10">${escapeXml(Number.isFinite(value) ? panel.format(value) : '-')}</text>`,
        );
      });
    });
  });
  const c = results.parameters.contention;
  const m = results.machine;
  const captions = [
    `${c.processes} processes, one key, hold ${c.holdMs} ms; medians of ${c.rounds} interleaved rounds per shape and contender, windows of ${c.windowMs} ms or ${c.windowMsPerWorker} ms per worker, whichever is longer (${results.mode} run, ${results.startedAt.slice(0, 10)}).`,
    `${m.cpuModel}, ${m.cores} cores, ${m.os}, Node ${m.node}, Redis ${m.redis ?? '?'}. Spin floor: SET NX PX retried at once; dashed line = the spin floor (1.0).`,
    'Manager per process: one connection and one lock manager per process, shared by its workers. Manager per worker: each worker its own.',
    'Commands = what the clients sent (Lua-internal calls excluded). Lighter bars: settings tuned for low latency.',
  ];
  captions.forEach((line, n) =>
    out.push(
      `<text x="16" y="${height - CAPTION_LINES * 16 + n * 16}" font-size="11" fill="#444">${escapeXml(line)}</text>`,
    ),
  );
  out.push('</svg>', '');
  return out.join('\n');
}
