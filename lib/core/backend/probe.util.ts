import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { LockHealth, LockNodeHealth } from '../interfaces/lock-health.interface.js';
import { ACQUIRE_SCRIPT } from '../scripts/acquire.script.js';
import { monotonicNow } from '../util/clock.util.js';

const ACQUIRE_SHA = createHash('sha1').update(ACQUIRE_SCRIPT).digest('hex');

/** ioredis states in which a command would only wait in the offline queue. */
const DISCONNECTED = new Set(['close', 'reconnecting', 'end']);

/** How operators know a server: `host:port`, its socket, or the Sentinel master name. */
export function nodeLabel(client: Redis): string {
  const { options } = client;
  if (options.sentinels && options.sentinels.length > 0) return `sentinel:${options.name ?? ''}`;
  if (options.path) return options.path;
  return `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
}

/**
 * Probes one server: a `PING` for reachability and round-trip time, then `SCRIPT LOAD` of the
 * acquire script (scripting allowed, ACL included). Each is bounded by `timeout`; a connection
 * that is down is reported at once instead of queueing commands behind ioredis' reconnects.
 * @internal
 */
export async function probeNode(client: Redis, timeout: number): Promise<LockNodeHealth> {
  const node = nodeLabel(client);
  if (DISCONNECTED.has(client.status)) {
    return down(node, null, `not connected (ioredis connection status "${client.status}")`);
  }
  const sentAt = monotonicNow();
  try {
    await within(client.ping(), timeout, `no answer to PING within ${timeout} ms`);
  } catch (error) {
    return down(node, null, errorMessage(error));
  }
  const roundTripMs = Math.round((monotonicNow() - sentAt) * 100) / 100;
  try {
    const sha = await within(
      client.script('LOAD', ACQUIRE_SCRIPT) as Promise<unknown>,
      timeout,
      `no answer to SCRIPT LOAD within ${timeout} ms`,
    );
    if (sha !== ACQUIRE_SHA) {
      return down(node, roundTripMs, `SCRIPT LOAD answered ${String(sha)}, not the script digest`);
    }
  } catch (error) {
    return down(node, roundTripMs, `cannot load the lock scripts: ${errorMessage(error)}`);
  }
  return { node, up: true, roundTripMs, scripts: true };
}

/**
 * The health of a single server (standalone or followed by Sentinel) or of a Cluster (every
 * master the client knows).
 * @internal
 */
export async function probeClient(client: Redis | Cluster, timeout: number): Promise<LockHealth> {
  if ((client as Cluster).isCluster !== true) {
    const redis = client as Redis;
    const node = await probeNode(redis, timeout);
    const topology = redis.options.sentinels?.length ? 'sentinel' : 'standalone';
    return node.up
      ? { topology, healthy: true, nodes: [node] }
      : { topology, healthy: false, nodes: [node], error: `Redis ${node.node}: ${node.error}.` };
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
  const nodes = await Promise.all(masters.map((master) => probeNode(master, timeout)));
  const failing = nodes.filter((n) => !n.up);
  if (failing.length === 0) return { topology: 'cluster', healthy: true, nodes };
  return {
    topology: 'cluster',
    healthy: false,
    nodes,
    error:
      `${failing.length} of ${nodes.length} Cluster masters cannot take locks (their slots are locked out until a replica takes over): ` +
      `${failing.map((n) => `${n.node}: ${n.error}`).join('; ')}.`,
  };
}

/**
 * The health of a Redlock quorum from the health of each master: healthy while a majority of
 * them can take locks.
 * @internal
 */
export function quorumHealth(reports: readonly LockHealth[], needed: number): LockHealth {
  const nodes = reports.flatMap((report) => report.nodes);
  const answering = nodes.filter((n) => n.up).length;
  const possible = answering >= needed;
  const quorum = { masters: reports.length, needed, answering, possible };
  if (possible) return { topology: 'quorum', healthy: true, nodes, quorum };
  const failing = nodes.filter((n) => !n.up);
  return {
    topology: 'quorum',
    healthy: false,
    nodes,
    quorum,
    error:
      `${answering} of ${reports.length} Redis masters can take locks; a quorum needs ${needed}. ` +
      `${failing.map((n) => `${n.node}: ${n.error}`).join('; ')}.`,
  };
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
