import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { lt } from 'semver';
import ts from 'typescript';
import type { SmokeConsumer } from './consumers.js';

/** The repository: found from here, whether this file runs from test/ or compiled under .tmp/. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      JSON.parse(readFileSync(manifest, 'utf8')).name === 'nestjs-redis-lock'
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no nestjs-redis-lock checkout above ${from}`);
  }
}

const root = findRoot(__dirname);
const consumersDir = join(root, 'test', 'smoke', 'consumers');
const sources = join(root, 'test', 'smoke', 'consumer');

/**
 * Where consumers are installed and built: outside the checkout, because Node and TypeScript
 * look for a package in the node_modules of every parent directory, and would find the
 * repository's own (ioredis among them) for a consumer that must do without. One directory per
 * checkout, so that two checkouts on one machine do not share it.
 */
export const smokeWork = join(
  tmpdir(),
  `nestjs-redis-lock-smoke-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`,
);

export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[command, ...args].join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Packs the library as `npm publish` would, under a file name per content. */
export function packLibrary(): string {
  mkdirSync(smokeWork, { recursive: true });
  for (const old of readdirSync(smokeWork).filter((f) => f.endsWith('.tgz'))) {
    rmSync(join(smokeWork, old));
  }
  const output = run(
    'npm',
    ['pack', '--ignore-scripts', '--pack-destination', smokeWork, '--silent'],
    root,
  );
  const packed = join(smokeWork, output.trim().split('\n').pop()!);
  // npm would reuse its cached copy of an unchanged file name.
  const hash = createHash('sha256').update(readFileSync(packed)).digest('hex').slice(0, 12);
  const tarball = join(smokeWork, `nestjs-redis-lock-${hash}.tgz`);
  renameSync(packed, tarball);
  return tarball;
}

/** The exact versions a consumer's committed package.json pins. */
export function pinnedVersions(consumer: SmokeConsumer): Record<string, string> {
  const manifest = JSON.parse(
    readFileSync(join(consumersDir, consumer.name, 'package.json'), 'utf8'),
  ) as { dependencies: Record<string, string> };
  return manifest.dependencies;
}

/**
 * Installs a consumer in a fresh directory with the packed library. `locked`: its committed
 * lockfile with `npm ci`, then the tarball without touching the lockfile. `latest`: the newest
 * versions its ranges allow, resolved today.
 */
export function installConsumer(
  consumer: SmokeConsumer,
  tarball: string,
  mode: 'locked' | 'latest',
): string {
  const dir = join(smokeWork, mode, consumer.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  copyFileSync(join(consumersDir, consumer.name, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  copyFileSync(join(sources, 'main.ts'), join(dir, 'src', 'main.ts'));
  copyFileSync(join(sources, 'clients', `${consumer.client}.ts`), join(dir, 'src', 'client.ts'));
  if (consumer.optionalPeers) {
    copyFileSync(join(sources, 'health.ts'), join(dir, 'src', 'health.ts'));
  }
  const quiet = ['--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts'];
  if (mode === 'locked') {
    for (const file of ['package.json', 'package-lock.json']) {
      copyFileSync(join(consumersDir, consumer.name, file), join(dir, file));
    }
    run('npm', ['ci', ...quiet], dir);
    // The lockfile's packages are installed: the tarball's own dependencies are among them, so
    // npm may answer from its cache instead of asking the registry again (about 3 s a consumer).
    run('npm', ['install', '--no-save', '--prefer-offline', ...quiet, tarball], dir);
  } else {
    const manifest = JSON.parse(
      readFileSync(join(consumersDir, consumer.name, 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    manifest.dependencies = { ...consumer.ranges, 'nestjs-redis-lock': `file:${tarball}` };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    run('npm', ['install', '--no-package-lock', ...quiet], dir);
  }
  return dir;
}

/** The versions actually installed, for the dependencies the consumer names. */
export function installedVersions(dir: string, names: readonly string[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    const manifest = JSON.parse(
      readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'),
    ) as { version: string };
    versions[name] = manifest.version;
  }
  return versions;
}

/** A type error, attributed to the package whose file it is in. */
export interface TypeProblem {
  /** `nestjs-redis-lock`, `app` (the consumer's own code) or the third-party package. */
  readonly owner: string;
  readonly code: number;
  readonly text: string;
}

/**
 * Type-checks the consumer as a strict one would (`strict`, `skipLibCheck: false`) with every
 * declaration file of the packed library as a root (so none is skipped for being unused), and
 * emits it. Problems are sorted by where they are: ours and the app's fail the smoke test; those
 * inside third-party declarations we do not control are reported, not ours to fail on.
 */
export function typeCheckAndEmit(dir: string, consumer: SmokeConsumer): TypeProblem[] {
  const configPath = join(dir, 'tsconfig.json');
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const library = join(dir, 'node_modules', 'nestjs-redis-lock', 'dist');
  const declarations = listFiles(library).filter(
    (file) =>
      file.endsWith('.d.ts') &&
      // The health entry point needs its optional peer, @nestjs/terminus.
      (consumer.optionalPeers || !file.includes(`${sep}health${sep}`)),
  );
  const program = ts.createProgram({
    rootNames: [...config.fileNames, ...declarations],
    options: { ...config.options, skipLibCheck: false, strict: true },
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  return diagnostics.map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file?.fileName;
    if (!file) return { owner: 'app', code: diagnostic.code, text };
    const where = relative(dir, file);
    const { line, character } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start!);
    return {
      owner: ownerOf(where),
      code: diagnostic.code,
      text: `${where}(${line + 1},${character + 1}): TS${diagnostic.code}: ${text}`,
    };
  });
}

/**
 * Why a type error in our declarations is known and accepted for this consumer, or `undefined`
 * when it fails the smoke test. Each one is what a strict app (`skipLibCheck: false`) meets and
 * is told about; anything else in our declarations is a bug. `versions`: the installed ones.
 */
export function knownTypeGap(
  problem: TypeProblem,
  versions: Readonly<Record<string, string>>,
): string | undefined {
  if (problem.owner !== 'nestjs-redis-lock') return undefined;
  const rxjs = versions['rxjs'];
  if (problem.code === 7016 && problem.text.includes("'rxjs'") && rxjs && lt(rxjs, '7.5.5')) {
    return "rxjs before 7.5.5 has no types condition in its exports map: under node16/nodenext resolution no declaration file that imports rxjs (Nest's own neither) finds its types, so apps on it need skipLibCheck: true";
  }
  return undefined;
}

function ownerOf(path: string): string {
  const parts = path.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return 'app';
  const name = parts[at + 1]!.startsWith('@')
    ? `${parts[at + 1]}/${parts[at + 2]}`
    : parts[at + 1]!;
  return name;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** What the consumer app printed: it exits 0 only if the lock held. */
export interface ConsumerReport {
  readonly ok: boolean;
  readonly values: number[];
  readonly conflict: number;
  readonly free: number;
}

export function runConsumer(dir: string, redisUrl: string, counter: string): ConsumerReport {
  return runScript(dir, 'main.js', { REDIS_URL: redisUrl, COUNTER: counter }) as ConsumerReport;
}

/** The health check of a consumer with the optional peers: `{ status: 'ok' }` when Redis is up. */
export function runHealthCheck(dir: string, redisUrl: string): { status: string } {
  return runScript(dir, 'health.js', { REDIS_URL: redisUrl }) as { status: string };
}

function runScript(dir: string, file: string, env: NodeJS.ProcessEnv): unknown {
  const output = run(process.execPath, [join(dir, 'dist', file)], dir, env);
  return JSON.parse(output.trim().split('\n').pop()!);
}
