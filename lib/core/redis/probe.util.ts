import type { LockHealth, LockNodeHealth } from '../interfaces/lock-health.interface.js';
import { ACQUIRE_SCRIPT, ACQUIRE_SHA } from './plain/acquire.script.js';
import { monotonicNow } from '../util/clock.util.js';
import { keySlot, tagForSlot } from '../util/key-slot.util.js';
import type { LockConnection, ServerConnection } from './connection/lock-connection.interface.js';

/** A write as a lock makes one: a script that sets a key with a ttl, in the locks' keyspace. */
const WRITE_PROBE = `redis.call('SET', KEYS[1], '1', 'PX', 1000) redis.call('DEL', KEYS[1]) return 1`;

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
  /** Why the client's servers are not known, when asking failed. */
  readonly why?: string;
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
  server: ServerConnection,
  timeout: number,
  names: ProbeNames,
): Promise<LockNodeHealth> {
  const node = server.label;
  const disconnected = server.down();
  if (disconnected !== undefined) return down(node, null, disconnected);
  const sentAt = monotonicNow();
  const step = <T>(command: Promise<T>, what: string): Promise<T> =>
    within(command, timeout, `no answer to ${what} within ${timeout} ms`);
  try {
    await step(server.command(['PING']), 'PING');
  } catch (error) {
    return down(node, null, errorMessage(error));
  }
  const roundTripMs = Math.round((monotonicNow() - sentAt) * 100) / 100;
  try {
    const sha = await step(server.command(['SCRIPT', 'LOAD', ACQUIRE_SCRIPT]), 'SCRIPT LOAD');
    if (sha !== ACQUIRE_SHA) {
      return down(node, roundTripMs, `SCRIPT LOAD answered ${String(sha)}, not the script digest`);
    }
  } catch (error) {
    return down(node, roundTripMs, `cannot load the lock scripts: ${errorMessage(error)}`);
  }
  const key = probeKey(names, server.slot);
  try {
    await step(server.command(['EVAL', WRITE_PROBE, 1, key]), 'a scripted write');
  } catch (error) {
    return { ...down(node, roundTripMs, writeRefusal(error, names)), scripts: true };
  }
  const problems = [
    await publishProblem(server, step, names),
    await evictionProblem(server, step),
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
  connection: LockConnection,
  timeout: number,
  names: ProbeNames,
): Promise<LockHealth> {
  if (!connection.cluster) {
    const [server] = await connection.servers();
    const node = await probeNode(server!, timeout, names);
    const topology = connection.topology === 'sentinel' ? 'sentinel' : 'standalone';
    const trouble = describeTrouble([node]);
    return trouble === undefined
      ? { topology, healthy: true, nodes: [node] }
      : { topology, healthy: false, nodes: [node], error: `Redis ${trouble}` };
  }
  let masters: readonly ServerConnection[];
  try {
    masters = await connection.servers();
  } catch (error) {
    masters = [];
    names = { ...names, why: errorMessage(error) };
  }
  if (masters.length === 0) {
    return {
      topology: 'cluster',
      healthy: false,
      nodes: [],
      error: `No Redis Cluster master is known yet (${names.why ?? connection.unreachable() ?? 'connecting'}).`,
    };
  }
  const nodes = await Promise.all(masters.map((master) => probeNode(master, timeout, names)));
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
  server: ServerConnection,
  step: <T>(command: Promise<T>, what: string) => Promise<T>,
  names: ProbeNames,
): Promise<string | undefined> {
  const pattern = `${names.clientPrefix}${names.keyPrefix}*`;
  try {
    await step(
      server.command(['PUBLISH', `${names.clientPrefix}${names.keyPrefix}#probe`, '']),
      'PUBLISH',
    );
    return undefined;
  } catch (error) {
    const message = errorMessage(error);
    if (!message.startsWith('NOPERM')) return `PUBLISH failed: ${message}.`;
    return `refuses PUBLISH on the lock channels (${message}): releases cannot wake waiters, who fall back to polling. Grant them: \`ACL SETUSER <user> &${pattern} +publish +subscribe\` (+spublish +ssubscribe on a Cluster), or &*.`;
  }
}

async function evictionProblem(
  server: ServerConnection,
  step: <T>(command: Promise<T>, what: string) => Promise<T>,
): Promise<string | undefined> {
  let info: string;
  try {
    info = String(await step(server.command(['INFO', 'memory']), 'INFO memory'));
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
