import type { Hold, Lane, TimelineRun } from './timeline';

const WIDTH = 1200;
const LABELS = 140; // the column of instance names
const RIGHT = 30;
const PLOT = WIDTH - LABELS - RIGHT;
const LANE = 58;
const STRIP = 44; // above the lanes: where leases ran out and who took over
const BAR_TOP = 20;
const BAR = 18;
const STOCK = 84;
const COLORS = ['#4e79a7', '#e15759', '#59a14f', '#b07aa1', '#76b7b2'];
const RED = '#c62828';
const GREEN = '#2e7d32';
const INK = '#222';
const MUTED = '#666';

/** Text for SVG: the five characters XML reserves. */
function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

interface Scale {
  readonly x: (t: number) => number;
  readonly seconds: number;
}

/**
 * Roughly how wide a text is drawn, erring wide: em widths of DejaVu Sans (the widest of the
 * usual sans fonts) for digits and capitals, lower case, and spaces.
 */
function textWidth(text: string, size: number, bold: boolean): number {
  let em = 0;
  for (const c of text) {
    if (c === ' ') em += bold ? 0.35 : 0.32;
    else if (/[0-9A-Z]/.test(c)) em += bold ? 0.72 : 0.66;
    else em += bold ? 0.6 : 0.54;
  }
  return em * size;
}

/**
 * A label starting `gap` right of `x` (or ending `gap` left of it, with `align: 'end'`), moved
 * as far as needed to stay inside the picture.
 */
function label(
  x: number,
  y: number,
  text: string,
  { color = INK, size = 12, weight = 'normal', gap = 6, align = 'start' } = {},
): string {
  const width = textWidth(text, size, weight === 'bold');
  const wanted = align === 'end' ? x - gap - width : x + gap;
  const start = Math.max(4, Math.min(wanted, WIDTH - RIGHT - width));
  return `<text x="${start.toFixed(1)}" y="${y.toFixed(1)}" font-size="${size}" font-weight="${weight}" fill="${color}">${esc(text)}</text>`;
}

function laneColor(lanes: readonly Lane[], name: string): string {
  return COLORS[lanes.findIndex((l) => l.name === name) % COLORS.length]!;
}

function holdBar(hold: Hold, y: number, scale: Scale, color: string, faded: boolean): string {
  const x = scale.x(hold.from);
  const w = Math.max(1.5, scale.x(hold.to) - x);
  return `<rect x="${x.toFixed(1)}" y="${y + BAR_TOP}" width="${w.toFixed(1)}" height="${BAR}" fill="${color}" fill-opacity="${faded ? 0.3 : 1}"><title>${esc(`${hold.lane}: fencing token ${hold.token}, ${hold.to - hold.from} ms, ${hold.end}`)}</title></rect>`;
}

/** One run: a row per instance with its holds and faults, then the stock over time. */
function panel(run: TimelineRun, top: number, scale: Scale): { svg: string; height: number } {
  const out: string[] = [];
  const lanesTop = top + 30 + STRIP;
  const laneTop = (name: string): number =>
    lanesTop + run.lanes.findIndex((l) => l.name === name) * LANE;
  const lanesBottom = lanesTop + run.lanes.length * LANE;
  const verdict = run.fencing
    ? run.oversold === 0 && run.staleWrites.every((w) => !w.accepted)
      ? { text: 'stale write refused, nothing oversold', color: GREEN }
      : { text: `WRONG: ${run.oversold} oversold`, color: RED }
    : run.oversold > 0
      ? { text: `stale write accepted: ${run.oversold} oversold`, color: RED }
      : { text: 'stale write accepted: the stock count is wrong', color: RED };

  out.push(
    `<text x="${LABELS}" y="${top + 20}" font-size="16" font-weight="bold" fill="${INK}">${esc(run.title)}</text>`,
    `<text x="${WIDTH - RIGHT}" y="${top + 20}" font-size="15" font-weight="bold" fill="${verdict.color}" text-anchor="end">${esc(verdict.text)}</text>`,
  );

  // Lanes: name and pid, a light background.
  run.lanes.forEach((lane, i) => {
    const y = lanesTop + i * LANE;
    out.push(
      `<rect x="${LABELS}" y="${y + 4}" width="${PLOT}" height="${LANE - 8}" fill="${i % 2 ? '#fafafa' : '#f3f3f3'}"/>`,
      `<rect x="14" y="${y + BAR_TOP + 2}" width="14" height="14" rx="2" fill="${laneColor(run.lanes, lane.name)}"/>`,
      `<text x="34" y="${y + BAR_TOP + 14}" font-size="15" font-weight="bold" fill="${INK}">${esc(lane.name)}</text>`,
      `<text x="34" y="${y + BAR_TOP + 30}" font-size="11" fill="${MUTED}">pid ${lane.pid}</text>`,
    );
  });

  // Holds of the lock. The frozen holder's last hold is drawn faded from the SIGSTOP on: it
  // believes it holds the lock, Redis no longer does.
  for (const hold of run.holds) {
    const color = laneColor(run.lanes, hold.lane);
    const y = laneTop(hold.lane);
    if (hold.lane === run.pause.lane && hold.token === run.pause.token) {
      out.push(holdBar({ ...hold, to: run.pause.from }, y, scale, color, false));
      out.push(holdBar({ ...hold, from: run.pause.from }, y, scale, color, true));
    } else {
      out.push(holdBar(hold, y, scale, color, false));
    }
  }

  // The pause: a hatched span on the frozen instance's lane, from SIGSTOP to SIGCONT.
  {
    const y = laneTop(run.pause.lane);
    const x = scale.x(run.pause.from);
    const w = scale.x(run.pause.to) - x;
    const seconds = ((run.pause.to - run.pause.from) / 1000).toFixed(1);
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y + BAR_TOP - 3}" width="${w.toFixed(1)}" height="${BAR + 6}" fill="url(#frozen)" stroke="${MUTED}" stroke-dasharray="4 3"/>`,
      label(
        x,
        y + 14,
        `SIGSTOP mid-sale, holding token ${run.pause.token} (it read stock ${run.pause.stockRead}); SIGCONT ${seconds} s later`,
        { size: 12, weight: 'bold', gap: 0 },
      ),
    );
  }

  // Where a lease ran out and someone else took over: a line across the lanes, labelled in
  // the strip above them (on a second row when two labels would overlap).
  const handovers: Array<{ at: number; text: string }> = [
    {
      at: run.takeover.at,
      text: `lease of the frozen holder expired: ${run.takeover.lane} takes over, token ${run.takeover.token}`,
    },
    {
      at: run.afterKill.at,
      text: `${run.kill.midSale ? 'lease of the killed holder expired' : 'lock free'}: ${run.afterKill.lane} takes over, token ${run.afterKill.token}`,
    },
  ];
  let taken = -Infinity;
  handovers.forEach(({ at, text }, i) => {
    const x = scale.x(at);
    const row = i > 0 && x < taken ? 1 : 0;
    const y = top + 30 + 16 + row * 18;
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${y + 4}" x2="${x.toFixed(1)}" y2="${lanesBottom}" stroke="${INK}" stroke-width="1" stroke-dasharray="2 3"/>`,
      label(x, y, text, { size: 11.5, color: INK, gap: 4 }),
    );
    taken = x + 4 + textWidth(text, 11.5, false);
  });

  // The killed instance: an X, the lease Redis kept until its ttl ran out, then nothing.
  {
    const y = laneTop(run.kill.lane);
    const x = scale.x(run.kill.at);
    const until = scale.x(run.afterKill.at);
    const color = laneColor(run.lanes, run.kill.lane);
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y + 6}" width="${(scale.x(run.end) - x).toFixed(1)}" height="${LANE - 12}" fill="url(#dead)"/>`,
    );
    if (run.kill.midSale) {
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y + BAR_TOP}" width="${Math.max(2, until - x).toFixed(1)}" height="${BAR}" fill="#fff" fill-opacity="0.7" stroke="${color}" stroke-width="1.5" stroke-dasharray="4 2"/>`,
      );
    }
    out.push(
      `<path d="M${x - 7},${y + BAR_TOP + 2} l14,14 m0,-14 l-14,14" stroke="${INK}" stroke-width="3"/>`,
      label(
        x,
        y + 14,
        run.kill.midSale
          ? `SIGKILL mid-sale, holding token ${run.kill.token}: Redis keeps its lease until the ttl ends`
          : 'SIGKILL between two sales',
        { size: 12, weight: 'bold', gap: 12 },
      ),
    );
  }

  // The stale writes of the frozen holder once it woke up.
  for (const write of run.staleWrites) {
    const y = laneTop(write.lane) + BAR_TOP + BAR / 2;
    const x = scale.x(write.at);
    if (write.accepted) {
      out.push(
        `<path d="M${x},${y - 11} l11,20 h-22 z" fill="${RED}" stroke="#fff" stroke-width="1.5"/>`,
        `<text x="${x}" y="${y + 6}" font-size="13" font-weight="bold" fill="#fff" text-anchor="middle">!</text>`,
        label(
          x,
          y + 27,
          `stale write ACCEPTED (token ${write.token}): stock ${write.stockBefore} → ${write.stockAfter}`,
          { color: RED, weight: 'bold', size: 12, gap: 14 },
        ),
      );
    } else {
      out.push(
        `<circle cx="${x}" cy="${y}" r="10" fill="${RED}" stroke="#fff" stroke-width="1.5"/>`,
        `<path d="M${x - 4.5},${y - 4.5} l9,9 m0,-9 l-9,9" stroke="#fff" stroke-width="2.5"/>`,
        label(
          x,
          y + 27,
          `stale write REFUSED: token ${write.token} < ${write.lastToken} already accepted`,
          { color: GREEN, weight: 'bold', size: 12, gap: 14 },
        ),
      );
    }
  }

  // The stock over time.
  const stockTop = lanesBottom + 14;
  const peak = Math.max(run.initialStock, ...run.stock.map((p) => p.stock));
  const sy = (stock: number): number => stockTop + STOCK - (stock / peak) * STOCK;
  out.push(
    `<rect x="${LABELS}" y="${stockTop}" width="${PLOT}" height="${STOCK}" fill="#fff" stroke="#ddd"/>`,
    `<text x="34" y="${stockTop + 16}" font-size="14" font-weight="bold" fill="${INK}">stock</text>`,
    `<text x="${LABELS - 6}" y="${sy(peak) + 4}" font-size="11" fill="${MUTED}" text-anchor="end">${peak}</text>`,
    `<text x="${LABELS - 6}" y="${sy(0) + 4}" font-size="11" fill="${MUTED}" text-anchor="end">0</text>`,
  );
  let d = '';
  for (const [i, p] of run.stock.entries()) {
    const x = scale.x(p.t).toFixed(1);
    d += i === 0 ? `M${x},${sy(p.stock).toFixed(1)}` : ` H${x} V${sy(p.stock).toFixed(1)}`;
  }
  d += ` H${scale.x(run.end).toFixed(1)}`;
  out.push(`<path d="${d}" fill="none" stroke="${INK}" stroke-width="1.8"/>`);
  for (const write of run.staleWrites.filter((w) => w.accepted && w.stockAfter > w.stockBefore)) {
    const x = scale.x(write.at);
    out.push(
      `<line x1="${x}" y1="${sy(write.stockBefore)}" x2="${x}" y2="${sy(write.stockAfter)}" stroke="${RED}" stroke-width="3"/>`,
      // Left of the jump, above the line: the stock there is below what the jump restored.
      label(
        x,
        stockTop + 15,
        `stock ${write.stockBefore} → ${write.stockAfter}: ${write.stockAfter - write.stockBefore} sold items back on sale, and sold again`,
        { color: RED, weight: 'bold', size: 12, gap: 8, align: 'end' },
      ),
    );
  }

  // The time axis.
  const axisTop = stockTop + STOCK;
  const step = scale.seconds > 12 ? 2 : scale.seconds > 5 ? 1 : 0.5;
  for (let s = 0; s <= scale.seconds + 1e-9; s += step) {
    const x = scale.x(run.start + s * 1000);
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${lanesTop}" x2="${x.toFixed(1)}" y2="${axisTop + 4}" stroke="#000" stroke-opacity="0.08"/>`,
      `<text x="${x.toFixed(1)}" y="${axisTop + 17}" font-size="11" fill="${MUTED}" text-anchor="middle">${Number.isInteger(s) ? s : s.toFixed(1)} s</text>`,
    );
  }
  return { svg: out.join('\n'), height: axisTop + 26 - top };
}

/**
 * The timeline of the fault runs as a standalone SVG: per run, who held the stock lock when
 * (bars, one row per instance), the frozen holder's gap, the lease expiries and takeovers with
 * their fencing tokens, the killed instance, the stale write and what the stock did.
 */
export function renderTimelineSvg(runs: readonly TimelineRun[]): string {
  const seconds = Math.max(...runs.map((r) => (r.end - r.start) / 1000));
  const panels: string[] = [];
  let y = 58;
  for (const run of runs) {
    const scale: Scale = {
      seconds,
      x: (t) => LABELS + ((t - run.start) / 1000 / seconds) * PLOT,
    };
    const { svg, height } = panel(run, y, scale);
    panels.push(svg);
    y += height + 26;
  }
  const height = y + 20;
  const legend = [
    `<rect x="${LABELS}" y="${height - 30}" width="22" height="12" fill="${COLORS[0]}"/>`,
    `<text x="${LABELS + 28}" y="${height - 20}" font-size="12" fill="${MUTED}">holds the lock (one bar per sale)</text>`,
    `<rect x="${LABELS + 250}" y="${height - 30}" width="22" height="12" fill="url(#frozen)" stroke="${MUTED}"/>`,
    `<text x="${LABELS + 278}" y="${height - 20}" font-size="12" fill="${MUTED}">frozen by SIGSTOP, still believes it holds the lock</text>`,
    `<rect x="${LABELS + 610}" y="${height - 30}" width="22" height="12" fill="url(#dead)"/>`,
    `<text x="${LABELS + 638}" y="${height - 20}" font-size="12" fill="${MUTED}">killed (SIGKILL)</text>`,
    `<text x="${LABELS + 760}" y="${height - 20}" font-size="12" fill="${MUTED}">fencing tokens grow with every new holder</text>`,
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" role="img" aria-label="Timeline of the lock during the fault runs">`,
    '<defs>',
    `<pattern id="frozen" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#eceff1"/><line x1="0" y1="0" x2="0" y2="8" stroke="#90a4ae" stroke-width="3"/></pattern>`,
    `<pattern id="dead" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="8" height="8" fill="#e0e0e0"/><line x1="0" y1="0" x2="0" y2="8" stroke="#9e9e9e" stroke-width="1.5"/></pattern>`,
    '</defs>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="14" y="28" font-size="20" font-weight="bold" fill="${INK}">Flash sale with faults: who held the lock when</text>`,
    `<text x="14" y="48" font-size="13" fill="${MUTED}">3 instances sell the same stock under one lock (ttl ${runs[0]?.ttlMs ?? 0} ms). The holder is frozen mid-sale past its ttl, the next holder is killed, then the frozen one wakes up and writes.</text>`,
    ...panels,
    ...legend,
    '</svg>',
  ].join('\n');
}
