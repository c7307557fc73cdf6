import * as lib from '../../lib/core/index.js';
import { formatRound, formatViolations } from '../support/chaos/chaos-campaign.js';
import { runRound, type Scenario } from '../support/chaos/chaos-round.js';
import { hashSeed, randomSeed } from '../support/chaos/random.js';
import { stopAllRedis } from '../support/redis-server.js';

// The short budget of the model-based fault test, run by `npm test`: one round of each scenario
// with a fresh seed (CHAOS_SEED pins it). `npm run test:chaos -- --minutes 10` runs the long one.
// A failure names each round's seed and the command that replays it.
const SECONDS: Record<Scenario, number> = { memory: 5, redis: 10, processes: 10, quorum: 10 };
const seed = process.env.CHAOS_SEED === undefined ? randomSeed() : Number(process.env.CHAOS_SEED);

describe('the lease lifecycle under random operations and injected faults', () => {
  afterAll(() => stopAllRedis());

  it.each<[Scenario, string]>([
    ['memory', 'managers of one process on the in-memory store'],
    ['redis', 'managers of one process on Redis, through fault proxies'],
    ['processes', 'worker processes on Redis, each through its own fault proxy'],
    [
      'quorum',
      'managers of one process on a quorum of five masters, each behind a fault proxy; locks only, a quorum refuses semaphores',
    ],
  ])(
    '%s (%s): never two holders of a key at once, fencing tokens in grant order, never more permits held than a semaphore has, nothing left behind',
    async (scenario) => {
      const roundSeed = hashSeed(seed, scenario);
      const report = await runRound({ scenario, seed: roundSeed, seconds: SECONDS[scenario], lib });
      console.log(formatRound(report));
      if (report.violations.length > 0) throw new Error(formatViolations([report]));
      // The round did what it is for: work got done, and every fault kind was injected.
      expect(report.criticalSections).toBeGreaterThan(0);
      // Semaphores share the round with locks, except on a quorum, which refuses them.
      if (scenario !== 'quorum') expect(report.permitSections).toBeGreaterThan(0);
      const notInjected = Object.entries(report.faults)
        .filter(([, count]) => count === 0)
        .map(([kind]) => kind);
      expect(notInjected).toEqual([]);
    },
    (SECONDS.processes + 45) * 1_000,
  );

  // Seeds of rounds that found a defect, replayed as they were found. They replay the same
  // operations and faults, not the same timing: each reproduced its defect on the machine that
  // found it, every time, and may not elsewhere.
  it.each<[Scenario, number, number, string]>([
    [
      'memory',
      3_311_154_217,
      8,
      'close() resolved while a lease was held: a call took a grant heard during its attempt after close() had cancelled it',
    ],
  ])(
    'replays %s round %d (%d s): %s',
    async (scenario, roundSeed, seconds) => {
      const report = await runRound({ scenario, seed: roundSeed, seconds, lib });
      console.log(formatRound(report));
      if (report.violations.length > 0) throw new Error(formatViolations([report]));
      expect(report.criticalSections).toBeGreaterThan(0);
    },
    60_000,
  );
});
