// What semaphores may not leave behind once every manager of a round closed: permits nobody
// holds any more, or places of waiters that are gone (the `#waiters:` queue and its
// `#waiters-expiry:` places, in the semaphore's slot).
import type { Redis } from 'ioredis';
import type { LeaseRecord, Violation } from './history.js';
import type { CoreLibrary } from './lease-actors.js';

function ownerOf(token: string, leases: readonly LeaseRecord[]): string {
  const lease = leases.find((record) => record.token === token);
  return lease
    ? `${lease.id} (${lease.via}, manager ${lease.manager}, ended: ${lease.end ?? 'never'})`
    : `${token.slice(0, 8)}…, never handed to any caller (a waiter's token, or permits taken by an attempt that did not return them)`;
}

/**
 * Semaphore keys and queues still in Redis. A semaphore key whose permits all expired is not
 * one: scripts count only permits whose expiry is ahead, and the key lives on by design until
 * its longest ttl ever set (never shortened), then goes by itself. A key with no expiry would
 * never go.
 */
export async function redisPermitLeftovers(
  admin: Redis,
  keyPrefix: string,
  semaphores: Readonly<Record<string, number>>,
  leases: readonly LeaseRecord[],
  where: string,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const [seconds, micros] = await admin.time();
  const now = Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
  for (const key of Object.keys(semaphores)) {
    const name = keyPrefix + key;
    if ((await admin.type(name)) !== 'zset') continue;
    const scored = await admin.zrangebyscore(name, `(${now}`, '+inf', 'WITHSCORES');
    const live: string[] = [];
    for (let i = 0; i < scored.length; i += 2) {
      const member = scored[i]!;
      const token = member.slice(0, member.lastIndexOf(':'));
      live.push(
        `${member.slice(token.length + 1)} of ${ownerOf(token, leases)}, ${Number(scored[i + 1]) - now} ms left`,
      );
    }
    const ttl = await admin.pttl(name);
    if (live.length > 0 || ttl === -1) {
      violations.push({
        kind: 'leftover-key',
        message: `${where} still holds semaphore ${name} (ttl ${ttl} ms) after every manager closed: ${live.length > 0 ? `permits ${live.join('; ')}` : 'no permit, and no expiry'}`,
      });
    }
  }

  const queues: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await admin.scan(cursor, 'MATCH', `${keyPrefix}#waiters*`, 'COUNT', 500);
    cursor = next;
    queues.push(...page);
  } while (cursor !== '0');
  for (const name of queues.sort()) {
    const ttl = await admin.pttl(name);
    const type = await admin.type(name);
    let content: string;
    if (type === 'hash') {
      // Each place: '<until>|<waiter id>|<weight>', until in server ms.
      const places = await admin.hgetall(name);
      content = Object.entries(places)
        .map(([token, place]) => {
          const [until, , weight] = place.split('|');
          return `${ownerOf(token, leases)} (weight ${weight}, place ${Number(until) - now} ms left)`;
        })
        .join('; ');
    } else {
      content = (await admin.zrange(name, '0', '-1'))
        .map((token) => ownerOf(token, leases))
        .join('; ');
    }
    violations.push({
      kind: 'leftover-key',
      message: `${where} still holds semaphore queue ${name} (ttl ${ttl} ms) after every waiter ended: ${content || 'empty'}`,
    });
  }
  return violations;
}

/**
 * Permits or waiters' places the in-memory store still has. Its queues are not public: a single
 * attempt for every permit of each semaphore, from a fresh manager, is refused exactly when a
 * permit is still held or a place is still live (a single attempt never gets ahead of a waiter).
 */
export async function memoryPermitLeftovers(
  lib: CoreLibrary,
  store: InstanceType<CoreLibrary['InMemoryLockStore']>,
  keyPrefix: string,
  semaphores: Readonly<Record<string, number>>,
): Promise<Violation[]> {
  const probe = new lib.LockManager(store, { keyPrefix });
  const violations: Violation[] = [];
  try {
    for (const [key, permits] of Object.entries(semaphores)) {
      const permit = await probe
        .semaphore(key, { permits })
        .tryAcquire({ weight: permits, ttl: 1_000 });
      if (permit) {
        await permit.release();
        continue;
      }
      violations.push({
        kind: 'leftover-key',
        message: `the in-memory store refused all ${permits} permits of semaphore ${key} to a single attempt after every manager closed: a permit is still held, or a waiter still queued`,
      });
    }
  } finally {
    await probe.close();
  }
  return violations;
}
