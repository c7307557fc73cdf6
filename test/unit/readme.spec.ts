import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const dir = join(root, '.tmp', 'readme');

// What the README's snippets use without defining: the reader's own code.
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
}
export {};
`;

// Files of the reader's application that snippets import.
const appFiles: Record<string, string> = {
  'app.module.ts': `import { Module } from '@nestjs/common';\n@Module({})\nexport class AppModule {}\n`,
  'orders.module.ts': `import { Module } from '@nestjs/common';\n@Module({})\nexport class OrdersModule {}\n`,
  'stock.service.ts': `export interface Order { id: string }\nexport class StockService { async sellOne(productId: string): Promise<Order> { return { id: productId }; } }\n`,
};

interface Block {
  readonly line: number;
  readonly code: string;
}

function typeScriptBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i = start; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    blocks.push({ line: start + 1, code: body.join('\n') });
  }
  return blocks;
}

describe('README', () => {
  const blocks = typeScriptBlocks(readFileSync(join(root, 'README.md'), 'utf8'));

  it('has TypeScript examples to check', () => {
    expect(blocks.length).toBeGreaterThan(12);
  });

  it('every TypeScript block compiles against the library (strict)', () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ambient.d.ts'), ambient);
    for (const [name, content] of Object.entries(appFiles)) writeFileSync(join(dir, name), content);
    const files = blocks.map((block, i) => {
      const file = `block-${String(i + 1).padStart(2, '0')}-line-${block.line}.ts`;
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
          },
        },
        files: ['ambient.d.ts', ...Object.keys(appFiles), ...files],
      }),
    );
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
      { cwd: root, encoding: 'utf8' },
    );
    // File names carry the README line of each block, so a failure points at it.
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
