import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SAMPLE = join(__dirname, '..');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The tests that run the app as separate processes (as the demo does) run its compiled code:
 * compile it when a source is newer, so they never test a stale build. (`npm test` compiles
 * it first anyway; the library's own dist/ is rebuilt by jest's global setup.)
 */
export function ensureSampleAppBuilt(): void {
  const main = join(SAMPLE, 'dist', 'src', 'main.js');
  const built = existsSync(main) ? statSync(main).mtimeMs : 0;
  if (built >= Math.max(newest(join(SAMPLE, 'src')), newest(join(SAMPLE, 'demo')))) return;
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(SAMPLE, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
}
