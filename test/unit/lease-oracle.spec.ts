import type { LeaseRecord, Observation, RestartRecord } from '../support/chaos/history.js';
import { beliefIntervals, judgeHistory } from '../support/chaos/lease-oracle.js';
import { hashSeed, Random } from '../support/chaos/random.js';

// The chaos test's verdicts are only as good as its oracle: these pin what it calls a violation.
function lease(
  id: string,
  observations: Observation[],
  options: { keys?: string[]; token?: string; fencingToken?: number } = {},
): LeaseRecord {
  return {
    id,
    process: 'main',
    manager: 'm0',
    keys: options.keys ?? ['k'],
    token: options.token ?? `token-${id}`,
    fencingToken: options.fencingToken ?? 1,
    via: 'acquire',
    ttl: 100,
    autoExtend: false,
    observations,
    notes: [],
  };
}

const judge = (leases: LeaseRecord[], restarts: RestartRecord[] = []) =>
  judgeHistory(leases, restarts, [], 0);

describe('lease oracle', () => {
  it('reconstructs when the holder believed it held the lease, extensions and gaps included', () => {
    const record = lease('a', [
      [0, 100], // held until 100
      [50, 300], // extended at 50 to 300
      [320, 320], // seen not held at 320: belief ended at 300
      [400, 450], // an extension after the gap brought it back
      [460, 460], // released
    ]);
    expect(beliefIntervals(record)).toEqual([
      [0, 300],
      [400, 450],
    ]);
  });

  it('sees nothing wrong in holders that follow each other with rising fencing tokens', () => {
    expect(
      judge([
        lease('a', [[0, 100]], { fencingToken: 1 }),
        lease('b', [[100, 200]], { fencingToken: 2 }),
        lease('c', [[150, 250]], { keys: ['other'], fencingToken: 3 }),
      ]),
    ).toEqual([]);
  });

  it('reports two holders of one key at once, with both leases and for how long', () => {
    const violations = judge([
      lease('a', [
        [0, 100],
        [10, 500],
      ]),
      lease('b', [
        [200, 300],
        [250, 250],
      ]),
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.kind).toBe('overlap');
    expect(violations[0]!.message).toMatch(/two holders of "k" at once for 50\.0 ms/);
    expect(violations[0]!.message).toMatch(/\ba\b.*\bb\b/s);
  });

  it('checks each key of a multi-key lease', () => {
    const violations = judge([
      lease('a', [[0, 100]], { keys: ['x', 'y'] }),
      lease('b', [[50, 150]], { keys: ['y'], fencingToken: 2 }),
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringMatching(/two holders of "y"/),
    ]);
  });

  it('excuses an overlap only where a restart made Redis forget the first holder', () => {
    const first = lease('a', [[0, 500]], { token: 'old' });
    const second = lease('b', [[200, 300]], { token: 'new', fencingToken: 2 });
    const restart = (held: string[], pausedAt = 100): RestartRecord => ({
      pausedAt,
      upAt: pausedAt + 50,
      held,
    });
    // Redis held the first when it was killed, and granted the second afterwards.
    expect(judge([first, second], [restart(['k\nold'])])).toEqual([]);
    // Redis no longer held the first when it was killed: its holder's belief was wrong.
    expect(judge([first, second], [restart([])])).toHaveLength(1);
    // The second was granted before the restart: both came from one server.
    expect(judge([first, second], [restart(['k\nold'], 250)])).toHaveLength(1);
    // The second was also in Redis at the restart: one server granted both.
    expect(judge([first, second], [restart(['k\nold', 'k\nnew'])])).toHaveLength(1);
  });

  it('excuses a lock handed over before a restart and believed only after it, in both checks', () => {
    const restart: RestartRecord = { pausedAt: 100, upAt: 150, held: ['k\nhanded'] };
    // The new server granted the key at 200; a grant the old one made (lower token) reached its
    // waiter at 210, after the restart had forgotten it.
    const granted = lease('granted', [[200, 400]], { token: 'fresh', fencingToken: 9 });
    const late = lease('late', [[210, 230]], { token: 'handed', fencingToken: 5 });
    expect(judge([granted, late], [restart])).toEqual([]);
    // Without the restart the same history is an overlap.
    expect(judge([granted, late]).map((v) => v.kind)).toEqual(['overlap']);
    // Believed one after the other: the lower token is excused only with the restart.
    const after = lease('after', [[450, 500]], { token: 'handed', fencingToken: 5 });
    expect(judge([granted, after], [restart])).toEqual([]);
    expect(judge([granted, after]).map((v) => v.kind)).toEqual(['fencing']);
  });

  it('reports a fencing token that does not increase in grant order', () => {
    const violations = judge([
      lease('a', [[0, 100]], { fencingToken: 5 }),
      lease('b', [[100, 200]], { fencingToken: 5 }),
      lease('c', [[200, 300]], { fencingToken: 4 }),
    ]);
    expect(violations.map((violation) => violation.kind)).toEqual(['fencing', 'fencing']);
  });
});

describe('seeded random source', () => {
  it('repeats its draws for a seed and a stream label, and differs across them', () => {
    const draws = (random: Random) => Array.from({ length: 5 }, () => random.int(0, 1_000_000));
    expect(draws(new Random(42).fork('actor-1'))).toEqual(draws(new Random(42).fork('actor-1')));
    expect(draws(new Random(42).fork('actor-1'))).not.toEqual(
      draws(new Random(42).fork('actor-2')),
    );
    expect(draws(new Random(42))).not.toEqual(draws(new Random(43)));
    expect(hashSeed(1, 'x')).toBe(hashSeed(1, 'x'));
  });

  it('draws weighted choices in proportion', () => {
    const random = new Random(7);
    const counts = { often: 0, rarely: 0 };
    for (let i = 0; i < 10_000; i++) counts[random.weighted({ often: 9, rarely: 1 })]++;
    expect(counts.often).toBeGreaterThan(8_500);
    expect(counts.rarely).toBeGreaterThan(700);
  });
});
