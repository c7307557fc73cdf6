import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TimelineRun } from './timeline';
import { renderTimelineSvg } from './timeline-svg';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A page with the timeline inline (so it needs no other file) and the outcome table. */
export function renderTimelinePage(svg: string, table: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nestjs-redis-lock: what the lock survives</title>
<style>
  body { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
  main { max-width: 1200px; }
  p { max-width: 70em; line-height: 1.45; }
  figure { margin: 16px 0; }
  pre { background: #f6f8fa; padding: 12px 16px; display: inline-block; }
</style>
</head>
<body>
<main>
<h1>What the lock survives, and why fencing tokens matter</h1>
<p>A lock in Redis is a lease: when its holder freezes (a long GC pause, a stalled VM, here
SIGSTOP) for longer than the ttl, the lease runs out and another instance takes the lock, while
the frozen one still believes it holds it. When it wakes up it writes what it computed before.
No check in the holder prevents that; the store can, if each write carries the lock's
<em>fencing token</em> and the store refuses a token older than the last it accepted.</p>
<figure id="timeline">
${svg}
</figure>
<h2>Outcome</h2>
<pre>${escapeHtml(table)}</pre>
</main>
</body>
</html>
`;
}

/** Writes `timeline.svg` and `timeline.html` into `dir`; returns their absolute paths. */
export function writeTimeline(
  dir: string,
  runs: readonly TimelineRun[],
  table: string,
): { svg: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const svg = renderTimelineSvg(runs);
  const paths = {
    svg: resolve(join(dir, 'timeline.svg')),
    html: resolve(join(dir, 'timeline.html')),
  };
  writeFileSync(paths.svg, `${svg}\n`);
  writeFileSync(paths.html, renderTimelinePage(svg, table));
  return paths;
}
