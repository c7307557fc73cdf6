import type { RedisServer } from '../redis-server.js';
import { type RedisCommandRecord, RedisHistory } from './redis-history.js';

/**
 * What every master of a quorum ran on the lock keys (see redis-history.ts), merged in time
 * order, each command tagged `[m<i>]` with the master that ran it: an overlap on a quorum is
 * explained by which masters granted, extended, healed or deleted what.
 */
export class QuorumHistory {
  private readonly histories: RedisHistory[] = [];

  constructor(private readonly keyPrefix: string) {}

  async start(masters: readonly RedisServer[]): Promise<void> {
    for (const master of masters) {
      const history = new RedisHistory(this.keyPrefix);
      this.histories.push(history);
      await history.start(master);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.histories.map((history) => history.stop()));
  }

  /** Commands on `key` (without the prefix) between `from` and `to`, machine time. */
  around(key: string, from: number, to: number): RedisCommandRecord[] {
    return this.histories
      .flatMap((history, i) =>
        history
          .around(key, from, to)
          .map((record) => ({ ...record, args: [`[m${i}]`, ...record.args] })),
      )
      .sort((a, b) => a.at - b.at);
  }
}
