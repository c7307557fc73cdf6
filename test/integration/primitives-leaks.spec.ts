import { keysLeft } from '../support/key-names.js';
import { runWorker } from '../support/processes.js';
import { useRedisServer } from '../support/suites.js';

describe('no leaks from semaphores, read-write locks and fair locks', () => {
  const db = useRedisServer();

  it('after hundreds of acquire/wait/cancel/timeout/release cycles the process exits by itself, leaving no key but the fencing counter', async () => {
    const cycles = 300;
    const result = await runWorker(
      'primitive-cycle-worker.cjs',
      [String(db.server.port), String(cycles)],
      120_000,
    );
    expect(result.stderr).toBe('');
    // The worker never calls process.exit(): it ends only once nothing keeps its loop alive.
    expect(result.code).toBe(0);
    const { counts } = JSON.parse(result.stdout) as { counts: Record<string, number> };
    // Three primitives per cycle.
    expect(counts).toEqual({ timedOut: 3 * cycles, aborted: 3 * cycles, woken: 3 * cycles });
    // No semaphore, reader set, writer queue or fair queue is left behind.
    expect(await keysLeft(db.redis)).toEqual([]);
  }, 150_000);
});
