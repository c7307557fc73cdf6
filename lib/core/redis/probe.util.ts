import type { Cluster, Redis } from 'ioredis';
import type { LockHealth, LockNodeHealth } from '../interfaces/lock-health.interface.js';
import { ACQUIRE_SCRIPT, ACQUIRE_SHA } from './plain/acquire.script.js';
import { monotonicNow } from '../util/clock.util.js';
import { CLUSTER_SLOTS, keySlot, tagForSlot } from '../util/key-slot.util.js';

/** A write as a lock makes one: a script that sets a key with a ttl, in the locks' keyspace. */
const WRITE_PROBE = `redis.call('SET', KEYS[1], '1', 'PX', 1000) redis.call('DEL', KEYS[1]) return 1`;

/** ioredis states in which a command would only wait in the offline queue. */
const DISCONNECTED = new Set(['close', 'reconnecting', 'end']);

/**
 * Where a probe writes: a key and a channel under the manager's prefix, so ACL key and channel
 * patterns are tested as the locks meet them (`lock:#probe...`, never a user's key).
 * @internal
 */
export interface ProbeNames {
  /** The manager's key prefix (without the client's ioredis keyPrefix). */
  readonly keyPrefix: string;
  /** The client's ioredis keyPrefix: channels are not prefixed by ioredis, keys are. */
  readonly clientPrefix: string;
}

/** How operators know a server: `host:port`, its socket, or the Sentinel master name. */
export function nodeLabel(client: Redis): string {
  const { options } = client;
  if (options.sentinels && options.sentinels.length > 0) return `sentinel:${options.name ?? ''}`;
  if (options.path) return options.path;
  return `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
}

/**
 * Probes one server as the locks use it, each step bounded by `timeout`:
 * - `PING`: reachable, and its round trip;
 * - `SCRIPT LOAD` of the acquire script: scripting allowed (ACL included);
 * - a scripted write of a key with a ttl under the locks' prefix: a master, not a read-only
 *   replica, and the ACL user may write the lock keys;
 * - `PUBLISH` on a lock channel: releases can wake waiters (without it they poll);
 * - `INFO memory`: no eviction policy that could drop a lock key under memory pressure.
 * The first three make the node `up`; the last two are `problems` of a node that is up. A
 * connection that is down is reported at once instead of queueing commands behind reconnects.
 * @internal
 */
export async function probeNode(
  client: Redis,
  timeout: number,
  names: ProbeNames,
  slot?: number,
): Promise<LockNodeHealth> {
  const node = nodeLabel(client);
  if (DISCONNECTED.has(client.status)) {
    return down(node, null, `not connected (ioredis connection status "${client.status}")`);
  }
  const sentAt = monotonicNow();
  const step = <T>(command: Promise<T>, what: string): Promise<T> =>
    within(command, timeout, `no answer to ${what} within ${timeout} ms`);
  try {
    await step(client.ping(), 'PING');
  } catch (error) {
    return down(node, null, errorMessage(error));
  }
  const roundTripMs = Math.round((monotonicNow() - sentAt) * 100) / 100;
  try {
    const sha = await step(
      client.script('LOAD', ACQUIRE_SCRIPT) as Promise<unknown>,
      'SCRIPT LOAD',
    );
    if (sha !== ACQUIRE_SHA) {
      return down(node, roundTripMs, `SCRIPT LOAD answered ${String(sha)}, not the script digest`);
    }
  } catch (error) {
    return down(node, roundTripMs, `cannot load the lock scripts: ${errorMessage(error)}`);
  }
  const key = probeKey(names, slot);
  try {
    await step(client.eval(WRITE_PROBE, 1, key) as Promise<unknown>, 'a scripted write');
  } catch (error) {
    return { ...down(node, roundTripMs, writeRefusal(error, names)), scripts: true };
  }
  const problems = [
    await publishProblem(client, step, names),
    await evictionProblem(client, step),
  ].filter((problem) => problem !== undefined);
  return problems.length === 0
    ? { node, up: true, roundTripMs, scripts: true }
    : { node, up: true, roundTripMs, scripts: true, problems };
}

/**
 * The health of a single server (standalone or followed by Sentinel) or of a Cluster (every
 * master the client knows).
 * @internal
 */
export async function probeClient(
  client: Redis | Cluster,
  timeout: number,
  names: ProbeNames,
): Promise<LockHealth> {
  if ((client as Cluster).isCluster !== true) {
    const redis = client as Redis;
    const node = await probeNode(redis, timeout, names);
    const topology = redis.options.sentinels?.length ? 'sentinel' : 'standalone';
    const trouble = describeTrouble([node]);
    return trouble === undefined
      ? { topology, healthy: true, nodes: [node] }
      : { topology, healthy: false, nodes: [node], error: `Redis ${trouble}` };
  }
  const cluster = client as Cluster;
  const masters = cluster.nodes('master');
  if (masters.length === 0) {
    return {
      topology: 'cluster',
      healthy: false,
      nodes: [],
      error: `No Redis Cluster master is known yet (cluster connection status "${cluster.status}").`,
    };
  }
  const nodes = await Promise.all(
    masters.map((master) => probeNode(master, timeout, names, slotServedBy(cluster, master))),
  );
  const trouble = describeTrouble(nodes);
  if (trouble === undefined) return { topology: 'cluster', healthy: true, nodes };
  const failing = nodes.filter((n) => !n.up).length;
  return {
    topology: 'cluster',
    healthy: false,
    nodes,
    error:
      (failing > 0
        ? `${failing} of ${nodes.length} Cluster masters cannot take locks (their slots are locked out until a replica takes over). `
        : '') + `Cluster master ${trouble}`,
  };
}

/**
 * The health of a Redlock quorum from the health of each master: healthy while a majority of
 * them can take locks without problems.
 * @internal
 */
export function quorumHealth(reports: readonly LockHealth[], needed: number): LockHealth {
  const nodes = reports.flatMap((report) => report.nodes);
  const answering = nodes.filter((n) => n.up).length;
  const sound = nodes.filter((n) => n.up && !n.problems).length;
  const possible = answering >= needed;
  const quorum = { masters: reports.length, needed, answering, possible };
  if (sound >= needed) return { topology: 'quorum', healthy: true, nodes, quorum };
  const failing = nodes.filter((n) => !n.up);
  const troubled = nodes.filter((n) => n.up && n.problems);
  const downs = failing.map((n) => `${n.node}: ${n.error}`).join('; ');
  const problems = troubled.flatMap((n) => (n.problems ?? []).map((p) => `${n.node}: ${p}`));
  return {
    topology: 'quorum',
    healthy: false,
    nodes,
    quorum,
    error:
      troubled.length === 0
        ? `${answering} of ${reports.length} Redis masters can take locks; a quorum needs ${needed}. ${downs}.`
        : `${sound} of ${reports.length} Redis masters can take locks without problems; a quorum needs ${needed}. ` +
          [downs === '' ? '' : `${downs}.`, ...problems].filter(Boolean).join(' '),
  };
}

/** One sentence per node that is down or has problems, or undefined when all are sound. */
function describeTrouble(nodes: readonly LockNodeHealth[]): string | undefined {
  const lines = nodes.flatMap((n) =>
    !n.up ? [`${n.node}: ${n.error}.`] : (n.problems ?? []).map((p) => `${n.node}: ${p}`),
  );
  return lines.length === 0 ? undefined : lines.join(' ');
}

/** The probe key, in `slot` when given (a Cluster master only accepts keys of its slots). */
function probeKey(names: ProbeNames, slot: number | undefined): string {
  const target = slot ?? keySlot(`${names.clientPrefix}${names.keyPrefix}#probe`);
  return `${names.keyPrefix}#probe:{${tagForSlot(target)}}`;
}

/** A slot the master serves, from the client's slot table. */
function slotServedBy(cluster: Cluster, master: Redis): number | undefined {
  const address = `${master.options.host}:${master.options.port}`;
  const table = (cluster as unknown as { slots: ReadonlyArray<readonly string[] | undefined> })
    .slots;
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    if (table[slot]?.[0] === address) return slot;
  }
  return undefined;
}

function writeRefusal(error: unknown, names: ProbeNames): string {
  const message = errorMessage(error);
  if (message.startsWith('READONLY')) {
    return `is a read-only replica (${message}): locks need the master. Point the client at the master, or use Sentinel so it follows the master`;
  }
  if (message.startsWith('NOPERM')) {
    return `refuses to write the lock keys (${message}): give the ACL user the keys, for example \`ACL SETUSER <user> ~${names.keyPrefix}*\``;
  }
  return `refuses a scripted write under "${names.keyPrefix}": ${message}`;
}

async function publishProblem(
  client: Redis,
  step: <T>(command: Promise<T>, what: string) => Promise<T>,
  names: ProbeNames,
): Promise<string | undefined> {
  const pattern = `${names.clientPrefix}${names.keyPrefix}*`;
  try {
    await step(client.publish(`${names.clientPrefix}${names.keyPrefix}#probe`, ''), 'PUBLISH');
    return undefined;
  } catch (error) {
    const message = errorMessage(error);
    if (!message.startsWith('NOPERM')) return `PUBLISH failed: ${message}.`;
    return `refuses PUBLISH on the lock channels (${message}): releases cannot wake waiters, who fall back to polling. Grant them: \`ACL SETUSER <user> &${pattern} +publish +subscribe\` (+spublish +ssubscribe on a Cluster), or &*.`;
  }
}

async function evictionProblem(
  client: Redis,
  step: <T>(command: Promise<T>, what: string) => Promise<T>,
): Promise<string | undefined> {
  let info: string;
  try {
    info = await step(client.info('memory'), 'INFO memory');
  } catch {
    // INFO refused (ACL, a managed service): nothing to say either way.
    return undefined;
  }
  const maxmemory = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? 0);
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'noeviction';
  if (maxmemory === 0 || policy === 'noeviction') return undefined;
  return (
    `maxmemory is set (${maxmemory} bytes) with maxmemory-policy ${policy}, so under memory pressure Redis may evict a lock key, and a lock evicted is a lock silently lost. ` +
    'Set maxmemory-policy noeviction (Redis then refuses writes instead of dropping locks), or give the locks a Redis of their own.'
  );
}

function down(node: string, roundTripMs: number | null, error: string): LockNodeHealth {
  return { node, up: false, roundTripMs, scripts: false, error };
}

/** Settles like `promise`, or rejects with `message` after `ms`; never leaves a timer behind. */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // The command may still be answered (or fail) later: nobody waits for it any more.
      promise.catch(() => undefined);
      reject(new Error(message));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
