import { createHook } from 'node:async_hooks';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import {
  commandSnapshot,
  commandsBetween,
  installCommandCounter,
} from '../../support/command-counter.js';
import { round } from '../../support/stats.js';
import { sleep } from '../../support/time.js';
import { createHolder, type HolderLibrary } from './holders.js';
import type { HeldLocksReport } from './protocol.js';

/**
 * One library holding many locks with automatic renewal, alone in its process, so memory, timers
 * and event-loop delay are its own.
 * Usage (forked with --expose-gc): node worker.js <port> <library> <locks> <ttlMs> <holdMs>
 */
const [port, library, locksArg, ttlArg, holdArg] = process.argv.slice(2);
const locks = Number(locksArg);
const ttl = Number(ttlArg);
const holdMs = Number(holdArg);

/** Acquisitions in flight at once while taking the locks. */
const ACQUIRE_CONCURRENCY = 64;

/**
 * The event-loop delay histogram samples on a timer of this period, and each sample is the whole
 * time between two ticks of that timer: the delay is what exceeds the period.
 */
const DELAY_RESOLUTION_MS = 10;

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
}

/**
 * Counts the timers (setTimeout, setInterval) alive in the process. process.getActiveResources
 * cannot: it leaves out unref()'d timers, which is what per-lock refresh timers usually are.
 */
function trackTimers(): { alive(): number; stop(): void } {
  const timers = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') timers.add(id);
    },
    destroy(id) {
      timers.delete(id);
    },
  }).enable();
  return { alive: () => timers.size, stop: () => void hook.disable() };
}

/** Histogram values in ns, less the sampling period, in ms. */
function delayMs(valueNs: number): number {
  return round(Math.max(0, valueNs / 1e6 - DELAY_RESOLUTION_MS), 2);
}

async function main(): Promise<HeldLocksReport> {
  installCommandCounter();
  const redis = new Redis({ host: '127.0.0.1', port: Number(port) });
  const holder = createHolder(library as HolderLibrary, redis, ttl);
  const keys = Array.from({ length: locks }, (_, i) => `s5:${library}:${i}`);
  // Warm up (scripts, JIT) with a lock of its own, then take the memory baseline.
  const warm = createHolder(library as HolderLibrary, redis, ttl);
  await warm.hold(`s5:${library}:warm`);
  await warm.releaseAll();
  collectGarbage();
  const before = process.memoryUsage();

  // Every timer made from here on; the hook costs a little per async resource, so it is only on
  // while the locks are taken, not while the event-loop delay is measured.
  const timers = trackTimers();
  const acquireStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: ACQUIRE_CONCURRENCY }, async () => {
      while (next < keys.length) await holder.hold(keys[next++]!);
    }),
  );
  const acquireMs = performance.now() - acquireStarted;
  // Destroy hooks of cleared timers run asynchronously: let them land before counting.
  await sleep(100);
  collectGarbage();
  const after = process.memoryUsage();
  const timersWhileHeld = timers.alive();
  timers.stop();

  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  const commandsBefore = commandSnapshot();
  delay.enable();
  await sleep(holdMs);
  delay.disable();
  const commandsWhileHeld = commandsBetween(commandsBefore, commandSnapshot());

  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.pttl(holder.redisKey(key));
  const ttls = (await pipeline.exec()) ?? [];
  const stillHeld = ttls.filter(([error, value]) => !error && Number(value) > 0).length;
  const lost = holder.lost();
  await holder.releaseAll();
  await redis.quit();

  return {
    locks,
    acquireMs: round(acquireMs, 0),
    rssPerLockBytes: round((after.rss - before.rss) / locks, 0),
    heapPerLockBytes: round((after.heapUsed - before.heapUsed) / locks, 0),
    timersWhileHeld,
    holdMs,
    commandsWhileHeld,
    eventLoopDelayP50Ms: delayMs(delay.percentile(50)),
    eventLoopDelayP99Ms: delayMs(delay.percentile(99)),
    eventLoopDelayMaxMs: delayMs(delay.max),
    lost,
    stillHeld,
  };
}

main().then(
  (report) => process.send!(report, () => process.disconnect()),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
