import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

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
        !['package.json', 'README.md', 'LICENSE'].includes(path),
    );
    expect(unexpected).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/esm/index.js',
        'dist/cjs/core/index.js',
        'dist/esm/core/index.js',
      ]),
    );
    expect(files.some((path) => /test|bench|sample-app|\.ts$(?<!\.d\.ts)/.test(path))).toBe(false);
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

  it('keeps the engine (dist/*/core) free of any NestJS import', () => {
    const coreFiles = files.filter((path) => /^dist\/(cjs|esm)\/core\/.+\.js$/.test(path));
    expect(coreFiles.length).toBeGreaterThan(10);
    for (const path of coreFiles) {
      const code = readFileSync(join(root, path), 'utf8');
      expect({ path, imports: /require\("@nestjs|from ['"]@nestjs/.test(code) }).toEqual({
        path,
        imports: false,
      });
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
      export class Orders {
        constructor(readonly locks: RedisLockService) {}
        @DistributedLock<Orders['buy']>((id) => \`order:\${id}\`)
        async buy(id: string): Promise<number> {
          const lock: Lock | undefined = this.locks.current();
          return lock?.fencingToken ?? 0;
        }
      }
      export const root = RedisLockModule.forRoot({ url: 'redis://localhost:6379' });
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
