import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, stopAllRedis } from '../../test/support/redis-server.js';

/**
 * Client instructions per acquire + release, counted by callgrind: repeatable on a shared,
 * noisy machine where CPU time is not (see bench/README.md, "Instructions per call").
 *
 * Each contender's worker runs twice under callgrind, with the same warm-up and two measured
 * counts; the difference of the two totals over the difference of the counts is the cost of
 * one pair once warm (start-up, module loading and warm-up cancel out). V8's optimizing
 * compiler is left out of the totals: which functions it compiles late depends on timing, and
 * it made two identical runs differ by 2%; garbage collection, which the allocations of a call
 * cause, stays in (and is shown on its own).
 *
 * Redis's time per pair comes from `INFO commandstats` of the longer run, over the commands the
 * pair sends (a timing on a shared machine: a rough figure).
 *
 *   tsc -p bench/tsconfig.json && node .tmp/bench/bench/cpu/instructions.js \
 *     [--contenders floor,ours/default] [--loops 1] [--warmup 5000] [--base 1000] [--count 4000]
 */

interface Settings {
  contenders: string[];
  loops: number;
  warmup: number;
  /** Pairs of the shorter run. */
  base: number;
  /** Pairs the longer run makes beyond the shorter one's. */
  count: number;
}

interface WorkerReport {
  readonly id: string;
  readonly count: number;
  readonly stats: Record<string, { calls: number; usec: number }>;
  readonly sent: readonly string[];
}

interface Run {
  /** Instructions outside the optimizing compiler. */
  readonly instructions: number;
  /** Of which garbage collection. */
  readonly gc: number;
  readonly report: WorkerReport;
}

const DEFAULT_CONTENDERS = ['floor', 'ours/default', 'ours/barging', 'redis-semaphore/default'];

/**
 * Entry points of V8's compilers whose inclusive cost is left out. Lazy compilation of
 * bytecode is left out too: it runs once per function, at a moment timing decides.
 */
const COMPILER_ENTRIES = [
  'v8::internal::Compiler::CompileOptimized(',
  'v8::internal::Runtime_CompileOptimizedOSR(',
  'v8::internal::baseline::BaselineBatchCompiler::CompileBatch(',
  'v8::internal::Runtime_CompileLazy(',
];
const GC_ENTRY = 'v8::internal::Heap::CollectGarbage(';

function parseArgs(argv: readonly string[]): Settings {
  const settings: Settings = {
    contenders: DEFAULT_CONTENDERS,
    loops: 1,
    warmup: 5_000,
    base: 1_000,
    count: 4_000,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--contenders') settings.contenders = value.split(',');
    else if (flag === '--loops') settings.loops = Number(value);
    else if (flag === '--warmup') settings.warmup = Number(value);
    else if (flag === '--base') settings.base = Number(value);
    else if (flag === '--count') settings.count = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return settings;
}

/** Inclusive costs from callgrind_annotate: the program's total and the functions asked for. */
function inclusiveCosts(file: string, names: readonly string[]): { total: number; of: number[] } {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  let total = 0;
  const of = names.map(() => 0);
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+)\s+\([^)]*\)\s+(.*)$/.exec(line);
    if (!match) continue;
    const cost = Number(match[1]!.replace(/,/g, ''));
    if (match[2]!.includes('PROGRAM TOTALS')) total = cost;
    names.forEach((name, i) => {
      // A function called recursively is listed once per depth ('2); its outer entry counts.
      if (match[2]!.includes(name) && !/'\d/.test(match[2]!)) of[i]! += cost;
    });
  }
  return { total, of };
}

/** Runs the worker under callgrind. */
function measure(
  id: string,
  port: number,
  settings: Settings,
  count: number,
  dir: string,
): Promise<Run> {
  const out = join(dir, `${id.replace(/\W/g, '_')}-${count}.callgrind`);
  const args = [
    '--tool=callgrind',
    `--callgrind-out-file=${out}`,
    '--dump-instr=no',
    '--collect-jumps=no',
    process.execPath,
    // Compiler and GC work on the main thread, where callgrind attributes it like the rest.
    '--single-threaded',
    join(__dirname, 'instructions-worker.js'),
    id,
    String(port),
    String(settings.warmup),
    String(count),
    String(settings.loops),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('valgrind', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`valgrind ${id} ${count} exited ${code}: ${stderr.slice(-2_000)}`));
        return;
      }
      const { total, of } = inclusiveCosts(out, [...COMPILER_ENTRIES, GC_ENTRY]);
      const compiler = of.slice(0, COMPILER_ENTRIES.length).reduce((a, b) => a + b, 0);
      resolve({
        instructions: total - compiler,
        gc: of[COMPILER_ENTRIES.length]!,
        report: JSON.parse(stdout.trim().split('\n').pop()!) as WorkerReport,
      });
    });
  });
}

/** Redis's microseconds per pair over the commands the pair sends, and each one's usec/call. */
function redisUsec(report: WorkerReport): { total: number; byCommand: string } {
  let total = 0;
  const parts: string[] = [];
  for (const name of report.sent) {
    const stat = report.stats[name];
    if (!stat) continue;
    total += stat.usec;
    parts.push(`${name} ${(stat.usec / stat.calls).toFixed(1)}`);
  }
  return { total: total / report.count, byCommand: parts.join(', ') };
}

function format(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'lock-cpu-'));
  const server = await startRedis();
  try {
    console.log(
      `${settings.loops} loop(s); ${settings.warmup} pairs of warm-up, then ${settings.base} and ${settings.base + settings.count}`,
    );
    console.log(
      '| contender | instructions per acquire + release | × floor | of which GC | Redis µs per pair | Redis µs per call |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | --- |');
    let floor: number | undefined;
    for (const id of settings.contenders) {
      const short = await measure(id, server.port, settings, settings.base, dir);
      const long = await measure(id, server.port, settings, settings.base + settings.count, dir);
      const perPair = (long.instructions - short.instructions) / settings.count;
      const gc = (long.gc - short.gc) / settings.count;
      if (id === 'floor') floor = perPair;
      const redis = redisUsec(long.report);
      const ratio = floor === undefined ? '-' : (perPair / floor).toFixed(2);
      console.log(
        `| ${id} | ${format(perPair)} | ${ratio} | ${format(gc)} | ${redis.total.toFixed(1)} | ${redis.byCommand} |`,
      );
    }
  } finally {
    await stopAllRedis();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
