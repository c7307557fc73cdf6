/**
 * `npm run smoke:latest`: installs today's newest in-range version of every peer into each smoke
 * consumer (no lockfile) and reports, in plain words, what breaks. Not part of the CI gate: the
 * gate installs the committed lockfiles, so upstream drift never blocks unrelated work; this is
 * how the drift is seen the day it appears. Exits 1 when anything broke.
 */
import { startRedis, stopAllRedis } from '../support/redis-server.js';
import {
  installConsumer,
  installedVersions,
  knownTypeGap,
  packLibrary,
  pinnedVersions,
  runConsumer,
  runHealthCheck,
  type TypeProblem,
  typeCheckAndEmit,
} from './consumer-harness.js';
import { smokeConsumers, type SmokeConsumer } from './consumers.js';

/** Known upstream type problems and what a consumer does about them. */
const remedies: ReadonlyArray<{
  readonly test: (p: TypeProblem) => boolean;
  readonly fix: string;
}> = [
  {
    test: (p) => p.code === 7016 && /'redis-errors'/.test(p.text),
    fix: "ioredis's declarations import 'redis-errors', which ships no types. Apps that compile with skipLibCheck: false need `npm i -D @types/redis-errors` (or skipLibCheck: true); our declarations are not involved.",
  },
];

interface Outcome {
  readonly consumer: SmokeConsumer;
  readonly versions: Record<string, string>;
  readonly newer: string[];
  readonly problems: string[];
  readonly upstream: string[];
}

function check(consumer: SmokeConsumer, tarball: string, redisUrl: string): Outcome {
  const pinned = pinnedVersions(consumer);
  const problems: string[] = [];
  const upstream: string[] = [];
  let versions: Record<string, string> = {};
  try {
    const dir = installConsumer(consumer, tarball, 'latest');
    versions = installedVersions(dir, Object.keys(consumer.ranges));
    const types = typeCheckAndEmit(dir, consumer);
    for (const problem of types) {
      if (knownTypeGap(problem, versions) !== undefined) continue;
      if (problem.owner === 'app' || problem.owner === 'nestjs-redis-lock') {
        problems.push(
          `type error in ${problem.owner === 'app' ? 'the app' : 'our declarations'}: ${problem.text}`,
        );
      }
    }
    const theirs = types.filter((p) => p.owner !== 'app' && p.owner !== 'nestjs-redis-lock');
    const byOwner = new Map<string, TypeProblem[]>();
    for (const problem of theirs)
      byOwner.set(problem.owner, [...(byOwner.get(problem.owner) ?? []), problem]);
    for (const [owner, list] of byOwner) {
      const fix = remedies.find((remedy) => list.every(remedy.test))?.fix;
      upstream.push(
        `${owner}@${versions[owner] ?? '?'} fails a strict type-check (skipLibCheck: false) in its own declarations, ${list.length} error(s), first: ${list[0]!.text.split('\n')[0]}` +
          (fix
            ? `\n      ${fix}`
            : '\n      Not known before: look at it, and add a remedy here once understood.'),
      );
    }
    if (problems.length === 0) {
      const report = runConsumer(dir, redisUrl, `latest-${consumer.name}`);
      if (!report.ok)
        problems.push(`the app ran but the lock did not hold: ${JSON.stringify(report)}`);
      if (consumer.optionalPeers) {
        const health = runHealthCheck(dir, redisUrl);
        if (health.status !== 'ok') problems.push(`the health check said ${health.status}`);
      }
    }
  } catch (error) {
    problems.push(String(error instanceof Error ? error.message : error).slice(0, 2_000));
  }
  const newer = Object.entries(versions)
    .filter(([name, version]) => pinned[name] !== version)
    .map(([name, version]) => `${name} ${pinned[name]} -> ${version}`);
  return { consumer, versions, newer, problems, upstream };
}

async function main(): Promise<void> {
  const tarball = packLibrary();
  const server = await startRedis();
  const outcomes: Outcome[] = [];
  try {
    for (const consumer of smokeConsumers) {
      process.stdout.write(`${consumer.name}: installing the newest in-range versions...\n`);
      outcomes.push(check(consumer, tarball, server.url));
    }
  } finally {
    await stopAllRedis();
  }
  process.stdout.write('\n');
  for (const { consumer, newer, problems, upstream } of outcomes) {
    const verdict = problems.length > 0 ? 'BROKEN' : upstream.length > 0 ? 'UPSTREAM' : 'ok';
    process.stdout.write(`${verdict.padEnd(8)} ${consumer.name} (${consumer.proves})\n`);
    process.stdout.write(
      `         ${newer.length === 0 ? 'same versions as its lockfile' : `newer than its lockfile: ${newer.join(', ')}`}\n`,
    );
    for (const problem of problems) process.stdout.write(`    - ${problem}\n`);
    for (const problem of upstream) process.stdout.write(`    - ${problem}\n`);
  }
  const broken = outcomes.some((o) => o.problems.length > 0 || o.upstream.length > 0);
  process.stdout.write(
    broken
      ? "\nSomething broke with today's versions (above). BROKEN: our package or the app fails; UPSTREAM: a dependency's own declarations fail under a strict consumer.\n"
      : "\nEvery consumer works with today's newest in-range versions. To move the gate to them, refresh each consumer's package.json and lockfile (see test/smoke/consumers.ts).\n",
  );
  process.exitCode = broken ? 1 : 0;
}

void main();
