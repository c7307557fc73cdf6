import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { minVersion, satisfies } from 'semver';
import { pinnedVersions } from '../smoke/consumer-harness.js';
import { clientPackages, smokeConsumers } from '../smoke/consumers.js';

const root = join(__dirname, '..', '..');

/** What a compiled file imports statically: require("x") in CommonJS, import/export from in ESM. */
function staticImports(path: string): string[] {
  const code = readFileSync(path, 'utf8');
  const specifiers: string[] = [];
  for (const match of code.matchAll(
    /require\("([^"]+)"\)|(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
  )) {
    specifiers.push(match[1] ?? match[2] ?? match[3]!);
  }
  return specifiers;
}

/** Every file of the package a compiled entry point loads statically, itself included. */
function importGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const specifier of staticImports(path)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(path), specifier);
      visit(existsSync(target) ? target : `${target}.js`);
    }
  };
  visit(entry);
  return [...seen];
}

describe('the published package', () => {
  // Built by `npm test` (pretest) or the jest global setup.
  const [pack] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as [{ files: Array<{ path: string }> }];
  const files = pack.files.map((file) => file.path);

  it('contains compiled JavaScript and declarations, and nothing else', () => {
    const unexpected = files.filter(
      (path) =>
        !/^dist\/(cjs|esm)\/.+\.(js|d\.ts)$/.test(path) &&
        !/^dist\/(cjs|esm)\/package\.json$/.test(path) &&
        // Subpath stubs for resolvers without "exports" (TypeScript's node10, old bundlers).
        ![
          'package.json',
          'core/package.json',
          'health/package.json',
          'testing/package.json',
          'experimental/package.json',
          'README.md',
          'LICENSE',
        ].includes(path),
    );
    expect(unexpected).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/esm/index.js',
        'dist/cjs/core/index.js',
        'dist/esm/core/index.js',
        'dist/cjs/health/index.js',
        'dist/cjs/health/index.d.ts',
        'dist/esm/health/index.js',
        'dist/esm/health/index.d.ts',
        'dist/cjs/testing/index.js',
        'dist/cjs/testing/index.d.ts',
        'dist/esm/testing/index.js',
        'dist/esm/testing/index.d.ts',
        'dist/cjs/experimental/index.js',
        'dist/cjs/experimental/index.d.ts',
        'dist/esm/experimental/index.js',
        'dist/esm/experimental/index.d.ts',
        'dist/cjs/cli/main.js',
      ]),
    );
    // No test, benchmark or sample file (the `testing` entry point is the library's own).
    const foreign = /(^|\/)(test|bench|sample-app)(\/|$)|\.(spec|e2e-spec)\.|\.ts$(?<!\.d\.ts)/;
    expect(files.filter((path) => foreign.test(path))).toEqual([]);
  });

  it('maps every entry point, for both module formats, to files it ships', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, Record<string, string>>>;
    };
    expect(Object.keys(manifest.exports)).toEqual([
      '.',
      './core',
      './health',
      './testing',
      './experimental',
      './package.json',
    ]);
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue;
      for (const format of ['import', 'require'] as const) {
        for (const path of Object.values(target[format]!)) {
          expect({
            entry,
            format,
            path,
            shipped: files.includes(path.replace(/^\.\//, '')),
          }).toEqual({ entry, format, path, shipped: true });
        }
      }
    }
  });

  it('ships the nestjs-redis-lock command: a compiled file with a node shebang', () => {
    const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(Object.keys(bin)).toEqual(['nestjs-redis-lock']);
    const path = bin['nestjs-redis-lock']!.replace(/^\.\//, '');
    expect(files).toContain(path);
    expect(readFileSync(join(root, path), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('loads optional peers only where they are used: terminus in ./health, OpenTelemetry by a dynamic import, neither in the command, which imports ioredis when it connects', () => {
    for (const format of ['cjs', 'esm']) {
      const graph = (entry: string): string[] => importGraph(join(root, 'dist', format, entry));
      const main = graph('index.js');
      const cli = graph('cli/main.js');
      const health = graph('health/index.js');
      const experimental = graph('experimental/index.js');
      const packagesOf = (paths: string[]): string[] => [
        ...new Set(paths.flatMap((path) => staticImports(path).filter((s) => !s.startsWith('.')))),
      ];
      expect(packagesOf(main)).not.toContain('@nestjs/terminus');
      // Every Redis client package is an optional peer: the Nest module imports the one it
      // creates connections with when it does, the engine none.
      for (const client of ['ioredis', 'redis', 'iovalkey']) {
        expect(packagesOf(main)).not.toContain(client);
      }
      expect(packagesOf(main).filter((name) => name.startsWith('@opentelemetry'))).toEqual([]);
      expect(packagesOf(health)).toContain('@nestjs/terminus');
      // The adapters for @nestjs/locks and @nestjs/schedule need neither package, nor Nest.
      expect(
        packagesOf(experimental).filter((name) => name !== 'ioredis' && !name.startsWith('node:')),
      ).toEqual([]);
      expect(
        packagesOf(cli).filter(
          (name) => name.startsWith('@nestjs') || name.startsWith('@opentelemetry'),
        ),
      ).toEqual([]);
      // The command's one client, loaded when it connects: its absence is then told as such.
      for (const client of ['ioredis', 'redis', 'iovalkey']) {
        expect(packagesOf(cli)).not.toContain(client);
      }
      const session = readFileSync(join(root, 'dist', format, 'cli/open-cli-session.js'), 'utf8');
      expect(session).toMatch(/await import\(['"]ioredis['"]\)/);
      // The one way the library reaches OpenTelemetry: import() of a name in a variable.
      const loader = readFileSync(
        join(root, 'dist', format, 'telemetry/load-open-telemetry.js'),
        'utf8',
      );
      expect(loader).toMatch(/await import\(specifier\)/);
      expect(main).toContain(join(root, 'dist', format, 'telemetry/load-open-telemetry.js'));
    }
  });

  it('ships the JSDoc in its declarations', () => {
    const declarations = readFileSync(join(root, 'dist/cjs/core/lock-manager.d.ts'), 'utf8');
    expect(declarations).toMatch(/@example/);
    expect(declarations).toMatch(/Acquires the lock on `key`/);
  });

  it('marks each build with its module format', () => {
    expect(JSON.parse(readFileSync(join(root, 'dist/cjs/package.json'), 'utf8')).type).toBe(
      'commonjs',
    );
    expect(JSON.parse(readFileSync(join(root, 'dist/esm/package.json'), 'utf8')).type).toBe(
      'module',
    );
  });

  it('keeps the engine (dist/*/core) free of any NestJS or OpenTelemetry import', () => {
    const coreFiles = files.filter((path) => /^dist\/(cjs|esm)\/core\/.+\.js$/.test(path));
    expect(coreFiles.length).toBeGreaterThan(10);
    for (const path of coreFiles) {
      const code = readFileSync(join(root, path), 'utf8');
      expect({
        path,
        imports: /require\("@(nestjs|opentelemetry)|from ['"]@(nestjs|opentelemetry)|import\(/.test(
          code,
        ),
      }).toEqual({ path, imports: false });
    }
  });
});

describe('the published declarations', () => {
  it('type-check in a strict consumer, for both module formats (skipLibCheck off)', () => {
    const dir = join(root, '.tmp', 'declarations');
    mkdirSync(dir, { recursive: true });
    const source = (entry: string): string => `
      import { Redis } from 'ioredis';
      import { DistributedLock, LockManager, RedisLockModule, RedisLockService, type Lock } from '${entry}';
      import { RedisLockHealthIndicator } from '${entry.replace('index.js', 'health/index.js')}';
      export class Orders {
        constructor(readonly locks: RedisLockService) {}
        @DistributedLock<Orders['buy']>((id) => \`order:\${id}\`)
        async buy(id: string): Promise<number> {
          const lock: Lock | undefined = this.locks.current();
          return lock?.fencingToken ?? 0;
        }
      }
      export const root = RedisLockModule.forRoot({
        url: 'redis://localhost:6379',
        logging: { lost: 'error' },
        openTelemetry: { tracing: false },
      });
      export class Health {
        constructor(readonly indicator: RedisLockHealthIndicator) {}
        check() {
          return this.indicator.isHealthy('locks', { timeout: 500 });
        }
      }
      export async function stuck(locks: RedisLockService): Promise<string[]> {
        const keys: string[] = [];
        for await (const lock of locks.list('job:*')) keys.push(lock.key + lock.fencingToken);
        return keys;
      }
      export const engine = new LockManager(new Redis({ lazyConnect: true }));
    `;
    writeFileSync(join(dir, 'cjs.ts'), source('../../dist/cjs/index.js'));
    writeFileSync(join(dir, 'esm.mts'), source('../../dist/esm/index.js'));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'es2022'];
    const decorators = ['--experimentalDecorators', '--emitDecoratorMetadata', '--types', 'node'];
    const result = spawnSync(
      process.execPath,
      [
        tsc,
        ...flags,
        ...decorators,
        '--module',
        'nodenext',
        join(dir, 'cjs.ts'),
        join(dir, 'esm.mts'),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('the peer ranges', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };
  const pinned = smokeConsumers.map((consumer) => ({
    consumer,
    versions: pinnedVersions(consumer),
  }));

  it('are each proven at their lowest end by a smoke consumer that pins that version', () => {
    const unproven: string[] = [];
    for (const [name, range] of Object.entries(manifest.peerDependencies)) {
      for (const alternative of range.split('||')) {
        const lowest = minVersion(alternative.trim())!.version;
        if (!pinned.some(({ versions }) => versions[name] === lowest)) {
          unproven.push(`${name}@${lowest}`);
        }
      }
    }
    expect(unproven).toEqual([]);
  });

  it('make every Redis client package optional, each proven by a consumer that has no other', () => {
    const packages = Object.values(clientPackages);
    expect(packages.map((name) => [name, manifest.peerDependenciesMeta[name]?.optional])).toEqual(
      packages.map((name) => [name, true]),
    );
    for (const [library, name] of Object.entries(clientPackages)) {
      const alone = pinned.filter(
        ({ consumer, versions }) =>
          consumer.client === library && packages.every((p) => (p === name) === p in versions),
      );
      expect({ library, consumers: alone.length > 0 }).toEqual({ library, consumers: true });
    }
  });

  it('hold every version a smoke consumer pins, and so do the ranges smoke:latest draws from', () => {
    const outside: string[] = [];
    for (const { consumer, versions } of pinned) {
      for (const [name, version] of Object.entries(versions)) {
        const peer = manifest.peerDependencies[name];
        if (peer !== undefined && !satisfies(version, peer)) outside.push(`${name}@${version}`);
        const range = consumer.ranges[name];
        if (range === undefined || !satisfies(version, range)) {
          outside.push(`${consumer.name}: ${name}@${version} (${range ?? 'no range'})`);
        }
      }
    }
    expect(outside).toEqual([]);
  });
});
