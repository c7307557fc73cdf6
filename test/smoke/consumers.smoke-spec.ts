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
import { join } from 'node:path';
import { startRedis, stopAllRedis, type RedisServer } from '../support/redis-server.js';

const root = join(__dirname, '..', '..');
const work = join(root, '.tmp', 'smoke');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Consumer {
  readonly name: string;
  readonly moduleType: 'commonjs' | 'module';
  readonly nest: string;
  readonly ioredis: string;
  readonly tsModule: string;
}

// The e2e suite runs on NestJS 11 (CommonJS); these prove the other combinations the peer
// ranges promise, against the packed tarball as users install it.
const consumers: Consumer[] = [
  {
    name: 'cjs-nest11-ioredis5',
    moduleType: 'commonjs',
    nest: '^11.0.0',
    ioredis: '^5.0.0',
    tsModule: 'node16',
  },
  {
    name: 'esm-nest12-ioredis6',
    moduleType: 'module',
    nest: '^12.0.0',
    ioredis: '^6.0.0',
    tsModule: 'nodenext',
  },
];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[command, ...args].join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

function majorOf(dir: string, name: string): number {
  const manifest = JSON.parse(
    readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'),
  );
  return Number(String(manifest.version).split('.')[0]);
}

describe('the packed library in consumer applications', () => {
  let server: RedisServer;
  let tarball: string;

  beforeAll(() => {
    mkdirSync(work, { recursive: true });
    for (const old of readdirSync(work).filter((f) => f.endsWith('.tgz'))) rmSync(join(work, old));
    const output = run(
      'npm',
      ['pack', '--ignore-scripts', '--pack-destination', work, '--silent'],
      root,
    );
    const packed = join(work, output.trim().split('\n').pop()!);
    // A file name per content: npm would reuse its cached copy of an unchanged name.
    const hash = createHash('sha256').update(readFileSync(packed)).digest('hex').slice(0, 12);
    tarball = join(work, `nestjs-redis-lock-${hash}.tgz`);
    renameSync(packed, tarball);
  });
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => stopAllRedis());

  it.each(consumers)('$name installs, compiles and locks through the decorator', (consumer) => {
    const dir = join(work, consumer.name);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: `smoke-${consumer.name}`,
          private: true,
          type: consumer.moduleType,
          dependencies: {
            '@nestjs/common': consumer.nest,
            '@nestjs/core': consumer.nest,
            '@nestjs/platform-express': consumer.nest,
            '@types/node': '^20.0.0',
            ioredis: consumer.ioredis,
            'nestjs-redis-lock': `file:${tarball}`,
            'reflect-metadata': '^0.2.0',
            rxjs: '^7.8.0',
          },
        },
        null,
        2,
      ),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: consumer.tsModule,
          moduleResolution: consumer.tsModule,
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: false,
          outDir: 'dist',
          rootDir: 'src',
          types: ['node'],
        },
        include: ['src'],
      }),
    );
    copyFileSync(join(__dirname, 'consumer', 'main.ts'), join(dir, 'src', 'main.ts'));

    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'],
      dir,
    );
    expect(majorOf(dir, '@nestjs/core')).toBe(Number(consumer.nest.slice(1, 3)));
    expect(majorOf(dir, 'ioredis')).toBe(Number(consumer.ioredis.slice(1, 2)));

    // Type-checks against the published declarations (skipLibCheck off), then compiles.
    run(process.execPath, [tsc, '-p', dir], dir);
    const compiled = readFileSync(join(dir, 'dist', 'main.js'), 'utf8');
    expect(compiled.includes('require("nestjs-redis-lock")')).toBe(
      consumer.moduleType === 'commonjs',
    );

    const output = run(process.execPath, [join(dir, 'dist', 'main.js')], dir, {
      REDIS_URL: server.url,
      COUNTER: consumer.name,
    });
    const report = JSON.parse(output.trim().split('\n').pop()!);
    expect(report).toEqual({
      ok: true,
      values: Array.from({ length: 20 }, (_, i) => i + 1),
      conflict: 409,
      free: 201,
    });
    // It ran without the optional peers: OpenTelemetry and Terminus are not installed here.
    expect(existsSync(join(dir, 'node_modules', '@opentelemetry', 'api'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@nestjs', 'terminus'))).toBe(false);

    // The command npm linked from "bin", run as an operator would (executable, shebang).
    const bin = join(dir, 'node_modules', '.bin', 'nestjs-redis-lock');
    expect(run(bin, ['inspect', `counter:${consumer.name}`, '--url', server.url], dir)).toBe(
      `counter:${consumer.name}  free\n`,
    );
  });
});
