import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const dir = join(root, '.tmp', 'readme');

/** The documentation site's pages, without what is generated when it is built. */
function sitePages(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      // .vitepress: the site's config and generated files; api: TypeDoc's output.
      return entry.name.startsWith('.') || path === join(root, 'docs', 'api')
        ? []
        : sitePages(path);
    }
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

const markdownFiles = [
  join(root, 'README.md'),
  join(root, 'CONTRIBUTING.md'),
  ...sitePages(join(root, 'docs')),
];

// What the snippets use without defining: the reader's own code.
const ambient = `
import type { LockManager } from 'nestjs-redis-lock/core';
declare global {
  const manager: LockManager;
  const accountId: string;
  const orderId: string;
  const from: string;
  const to: string;
  const amount: number;
  const id: string;
  const change: unknown;
  const db: { updateInvoice(id: string, change: unknown, options: { fencingToken: number }): Promise<void> };
  function readBalance(id: string): Promise<number>;
  function writeBalance(id: string, balance: number, fencingToken: number): Promise<void>;
  function shipOrder(id: string, options: { signal: AbortSignal }): Promise<void>;
  function transfer(from: string, to: string, amount: number): Promise<void>;
  function buildReport(day: string, options: { signal: AbortSignal }): Promise<void>;
  function saveWithFence(sku: string, fencingToken: number): Promise<void>;
  interface Order { id: string }
  interface Receipt { paid: boolean }
  const order: Order;
  const month: string;
  const eventId: string;
  const provider: { charge(order: Order, options?: { signal?: AbortSignal }): Promise<Receipt> };
  function runExport(options: { signal?: AbortSignal }): Promise<void>;
  function loadReport(month: string): Promise<string[]>;
  function rebuildReport(month: string, options: { fencingToken?: number }): Promise<void>;
  function pack(orderId: string): Promise<void>;
  function send(orderId: string): Promise<void>;
  function debit(account: string): Promise<void>;
  function credit(account: string): Promise<void>;
}
export {};
`;

// The migration pages show code written for other Nest lock libraries, which are not installed
// here: their public API as their sources declare it (murlock 4, @anchan828/nest-redlock 0.4),
// reduced to what the pages use. redlock and redis-semaphore are real dev dependencies.
const otherLibraries = `
declare module 'murlock' {
  import type { DynamicModule } from '@nestjs/common';
  export interface MurLockModuleOptions {
    redisOptions?: { url?: string };
    wait: number;
    maxAttempts: number;
    logLevel: 'none' | 'error' | 'warn' | 'log' | 'debug';
    ignoreUnlockFail?: boolean;
    lockKeyPrefix?: 'default' | 'custom';
    blocking?: boolean;
  }
  export function MurLock(releaseTime: number, ...keyParams: string[]): MethodDecorator;
  export class MurLockModule {
    static forRoot(options: MurLockModuleOptions): DynamicModule;
  }
  export class MurLockService {
    runWithLock<T>(lockKey: string, releaseTime: number, fn: () => Promise<T>): Promise<T>;
  }
  export class MurLockException extends Error {}
}
declare module '@anchan828/nest-redlock' {
  import type { DynamicModule } from '@nestjs/common';
  import type { Cluster, Redis } from 'ioredis';
  import RedlockClient, { type Settings } from 'redlock';
  export type RedlockKeyFunction<T extends (...args: any) => any = (...args: any) => any> = (
    target: any,
    ...args: Parameters<T>
  ) => string[] | string;
  export function Redlock<T extends (...args: any) => any = (...args: any) => any>(
    key: string | string[] | RedlockKeyFunction<T>,
    duration?: number,
    settings?: Partial<Settings>,
  ): MethodDecorator;
  export interface RedlockModuleOptions {
    clients: Iterable<Redis | Cluster>;
    decoratorEnabled?: boolean;
    settings?: Partial<Settings>;
    duration?: number;
  }
  export class RedlockModule {
    static register(options: RedlockModuleOptions & { isGlobal?: boolean }): DynamicModule;
  }
  export class RedlockService extends RedlockClient {
    readonly options: RedlockModuleOptions;
  }
}
`;

// Files of the reader's application that snippets import.
const appFiles: Record<string, string> = {
  'app.module.ts': `import { Module } from '@nestjs/common';\n@Module({})\nexport class AppModule {}\n`,
  'orders.module.ts': `import { Module } from '@nestjs/common';\n@Module({})\nexport class OrdersModule {}\n`,
  'stock.service.ts': `export interface Order { id: string }\nexport class StockService { async sellOne(productId: string): Promise<Order> { return { id: productId }; } }\n`,
};

interface Block {
  /** The Markdown file, relative to the repository. */
  readonly source: string;
  readonly line: number;
  readonly code: string;
}

function typeScriptBlocks(file: string): Block[] {
  const blocks: Block[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    // A VitePress code group labels its blocks: ```ts [src/main.ts]
    if (!/^```(ts|typescript)(\s.*)?$/.test(lines[i]!)) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i = start; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    blocks.push({ source: relative(root, file), line: start + 1, code: body.join('\n') });
  }
  return blocks;
}

describe('the TypeScript of the README and the documentation site', () => {
  const blocks = markdownFiles.flatMap(typeScriptBlocks);
  const count = (source: string) => blocks.filter((block) => block.source === source).length;

  it('has examples to check in the README and in the site', () => {
    expect(count('README.md')).toBeGreaterThanOrEqual(3);
    expect(blocks.length - count('README.md')).toBeGreaterThan(40);
    for (const page of ['decorator', 'getting-started', 'engine', 'primitives', 'operating']) {
      expect(count(join('docs', 'guide', `${page}.md`))).toBeGreaterThan(0);
    }
  });

  it('every TypeScript block compiles against the library (strict)', () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ambient.d.ts'), ambient);
    writeFileSync(join(dir, 'other-libraries.d.ts'), otherLibraries);
    for (const [name, content] of Object.entries(appFiles)) writeFileSync(join(dir, name), content);
    const files = blocks.map((block, i) => {
      const from = block.source.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-');
      const file = `block-${String(i + 1).padStart(3, '0')}-${from}-line-${block.line}.ts`;
      // Each block is a module of its own, so blocks cannot see each other's names.
      writeFileSync(join(dir, file), `${block.code}\nexport {};\n`);
      return file;
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'ESNext.Disposable'],
          module: 'ES2022',
          moduleResolution: 'Bundler',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          baseUrl: root,
          paths: {
            'nestjs-redis-lock': ['lib/index.ts'],
            'nestjs-redis-lock/core': ['lib/core/index.ts'],
            'nestjs-redis-lock/health': ['lib/health/index.ts'],
            'nestjs-redis-lock/testing': ['lib/testing/index.ts'],
            'nestjs-redis-lock/experimental': ['lib/experimental/index.ts'],
            // Its package.json "exports" has no "types" condition.
            redlock: ['node_modules/redlock/dist/index.d.ts'],
          },
        },
        files: ['ambient.d.ts', 'other-libraries.d.ts', ...Object.keys(appFiles), ...files],
      }),
    );
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
      { cwd: root, encoding: 'utf8' },
    );
    // File names carry the Markdown file and line of each block, so a failure points at it.
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
