import type { Cluster, Redis } from 'ioredis';
import { escapeGlob } from '../../util/escape-glob.util.js';

/**
 * The names of the hash keys matching `match` (a glob over full lock names, without the
 * client's own ioredis prefix), page by page, through SCAN on one server, or on every master
 * of a Cluster in turn.
 * @internal
 */
export async function* scanKeys(
  client: Redis | Cluster,
  cluster: boolean,
  clientPrefix: string,
  match: string,
  count: number,
): AsyncIterable<readonly string[]> {
  // SCAN walks one server: on a Cluster, every master in turn.
  const servers = cluster ? (client as Cluster).nodes('master') : [client as Redis];
  if (servers.length === 0) {
    throw new Error(`no Redis Cluster master is known yet (status "${client.status}")`);
  }
  // ioredis prefixes the keys of commands, not SCAN patterns nor the names SCAN returns.
  const pattern = escapeGlob(clientPrefix) + match;
  const start = clientPrefix.length;
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, names] = await server.scan(
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        count,
        'TYPE',
        'hash',
      );
      cursor = next;
      if (names.length > 0) yield start === 0 ? names : names.map((name) => name.slice(start));
    } while (cursor !== '0');
  }
}
