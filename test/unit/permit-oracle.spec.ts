import type { LeaseRecord, Observation, RestartRecord } from '../support/chaos/history.js';
import { judgeHistory } from '../support/chaos/lease-oracle.js';
import { judgePermits } from '../support/chaos/permit-oracle.js';

// What the chaos test's oracle calls a broken semaphore: these pin its verdicts.
function permit(
  id: string,
  weight: number,
  observations: Observation[],
  options: { permits?: number; key?: string; token?: string } = {},
): LeaseRecord {
  return {
    id,
    process: 'main',
    manager: 'm0',
    keys: [options.key ?? 's'],
    token: options.token ?? `token-${id}`,
    fencingToken: 0,
    via: 'acquire',
    ttl: 100,
    autoExtend: false,
    permit: { weight, permits: options.permits ?? 3 },
    observations,
    notes: [],
  };
}

const judge = (leases: LeaseRecord[], restarts: RestartRecord[] = []) =>
  judgePermits(leases, restarts, [], 0);

describe('permit oracle', () => {
  it('sees nothing wrong while the weights held at once fit in the permits', () => {
    expect(
      judge([
        permit('a', 2, [[0, 100]]),
        permit('b', 1, [[10, 200]]),
        // a ended at 100: b and c hold 3 of 3.
        permit('c', 2, [[100, 300]]),
        // Another semaphore is counted apart.
        permit('d', 3, [[50, 150]], { key: 'other' }),
      ]),
    ).toEqual([]);
  });

  it('reports more permits held than the semaphore has, once, with every holder', () => {
    const violations = judge([
      permit('a', 2, [
        [0, 100],
        [50, 400],
      ]),
      permit('b', 1, [[100, 300]]),
      // Tips it over at 200, until b's belief ends at 300.
      permit('c', 1, [[200, 500]]),
      // Comes while it is still over: it tips nothing over that was not already.
      permit('d', 1, [[250, 260]]),
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.kind).toBe('over-permits');
    expect(violations[0]!.message).toMatch(
      /^4 permits of semaphore "s" \(3 permits\) held at once for 100\.0 ms/,
    );
    expect(violations[0]!.message).toMatch(/\ba\b.*\bb\b.*\bc\b/s);
  });

  it('excuses only holders a restart made Redis forget, against those granted after it', () => {
    const restart = (held: string[], pausedAt = 100): RestartRecord => ({
      pausedAt,
      upAt: pausedAt + 50,
      held,
    });
    const old = permit('old', 2, [[0, 500]], { token: 'old' });
    const fresh = permit('fresh', 2, [[200, 300]], { token: 'fresh' });
    // The restart forgot the first; the new server granted the second.
    expect(judge([old, fresh], [restart(['s\nold'])])).toEqual([]);
    // Redis no longer counted the first when it was killed: its holder's belief was wrong.
    expect(judge([old, fresh], [restart([])])).toHaveLength(1);
    // The second was granted before the restart: one server counted both.
    expect(judge([old, fresh], [restart(['s\nold'], 250)])).toHaveLength(1);
    // Both were in Redis at the restart.
    expect(judge([old, fresh], [restart(['s\nold', 's\nfresh'])])).toHaveLength(1);
  });

  it('still counts the holders one server granted together, beside those a restart forgot', () => {
    const restart: RestartRecord = { pausedAt: 100, upAt: 150, held: ['s\nold'] };
    const old = permit('old', 3, [[0, 500]], { token: 'old' });
    const b = permit('b', 1, [[200, 400]]);
    const c = permit('c', 2, [[210, 400]]);
    // b and c: 3 of 3 on the new server, old forgotten.
    expect(judge([old, b, c], [restart])).toEqual([]);
    // d makes 4 on the new server alone.
    const violations = judge([old, b, c, permit('d', 1, [[220, 300]])], [restart]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toMatch(/^4 permits of semaphore "s" \(3 permits\)/);
    expect(violations[0]!.message).not.toMatch(/\bold\b/);
  });

  it('leaves permits to this oracle and locks to the lock oracle', () => {
    const permits = [permit('a', 1, [[0, 100]]), permit('b', 1, [[10, 100]])];
    expect(judgeHistory(permits, [], [], 0)).toEqual([]);
    expect(judge(permits)).toEqual([]);
    expect(judge([permit('a', 2, [[0, 100]]), permit('b', 1, [[10, 100]])], [])).toHaveLength(0);
    expect(
      judge([permit('a', 2, [[0, 100]], { permits: 2 }), permit('b', 1, [[10, 100]])]),
    ).toHaveLength(1);
  });
});
