import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root: the compiled bench runs from .tmp/bench/bench/support. */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

function packageVersion(directory: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
      version?: string;
    };
    // redlock's manifest spells its version "v5.0.0-beta.2".
    return (manifest.version ?? 'unknown').replace(/^v/, '');
  } catch {
    return 'unknown';
  }
}

export interface Versions {
  readonly 'nestjs-redis-lock': string;
  readonly commit: string;
  readonly redlock: string;
  readonly 'redis-semaphore': string;
  readonly ioredis: string;
}

/** Versions actually installed (not the ranges package.json asks for), and the git commit. */
export function installedVersions(): Versions {
  const modules = join(REPO_ROOT, 'node_modules');
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    // Only code counts: a run with an edited README still measured the committed code.
    const dirty = execSync("git status --porcelain -- lib 'bench/*.ts' bench/tsconfig.json", {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    if (dirty) commit += '+changes';
  } catch {
    // not a git checkout: the version numbers still say what ran
  }
  return {
    'nestjs-redis-lock': packageVersion(REPO_ROOT),
    commit,
    redlock: packageVersion(join(modules, 'redlock')),
    'redis-semaphore': packageVersion(join(modules, 'redis-semaphore')),
    ioredis: packageVersion(join(modules, 'ioredis')),
  };
}
