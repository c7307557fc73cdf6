import { escapeGlob } from '../../util/escape-glob.util.js';
import type { LockConnection } from '../connection/lock-connection.interface.js';

/**
 * The names of the hash keys matching `match` (a glob over full lock names, without the
 * client's own key prefix), page by page, through SCAN on one server, or on every master
 * of a Cluster in turn.
 * @internal
 */
export async function* scanKeys(
  connection: LockConnection,
  match: string,
  count: number,
): AsyncIterable<readonly string[]> {
  // SCAN walks one server: on a Cluster, every master in turn.
  const servers = await connection.servers();
  if (servers.length === 0) {
    throw new Error(
      `no Redis Cluster master is known yet (${connection.unreachable() ?? 'connecting'})`,
    );
  }
  // A client's own key prefix (ioredis keyPrefix) applies to the keys of commands, not to SCAN
  // patterns nor to the names SCAN returns.
  const clientPrefix = connection.keyPrefix;
  const pattern = escapeGlob(clientPrefix) + match;
  const start = clientPrefix.length;
  for (const server of servers) {
    let cursor = '0';
    do {
      const reply = (await server.command([
        'SCAN',
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        count,
        'TYPE',
        'hash',
      ])) as [string, string[]];
      cursor = String(reply[0]);
      const names = reply[1];
      if (names.length > 0) yield start === 0 ? names : names.map((name) => name.slice(start));
    } while (cursor !== '0');
  }
}
