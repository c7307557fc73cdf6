import type { Redis } from 'ioredis';
import { type FaultProxy, startFaultProxy } from '../fault-proxy.js';
import { type RedisServer, startRedis } from '../redis-server.js';
import { disconnectClient } from './disconnect-client.js';
import type { ManagerBackend } from './lease-actors.js';

/**
 * The independent masters of a Redlock quorum, each a private redis-server reached only
 * through its own fault proxy: a fault on one proxy is a fault on the network to that master,
 * whichever manager's connection crosses it.
 */
export interface QuorumMasters {
  readonly masters: readonly RedisServer[];
  /** `proxies[i]` forwards to `masters[i]`. */
  readonly proxies: readonly FaultProxy[];
  /**
   * A manager's clients: one per master, through its proxy. Disposing of them does not wait:
   * a client of a killed master may take seconds to get its connection back before it can be
   * disconnected (see disconnect-client.ts), and the manager slot must not stay closed
   * meanwhile. `disposed()` waits for them.
   */
  backend(): ManagerBackend;
  /** Resolves once every client handed out was disconnected. */
  disposed(): Promise<void>;
  /** Stops every proxy and every master, whatever state the round left them in. */
  stop(): Promise<void>;
}

export async function startQuorumMasters(
  count: number,
  serverArgs: readonly string[],
): Promise<QuorumMasters> {
  const masters: RedisServer[] = [];
  const proxies: FaultProxy[] = [];
  const disposing = new Set<Promise<void>>();
  const stop = async (): Promise<void> => {
    for (const proxy of proxies) await proxy.close();
    // A frozen master must be resumed to die (stop() sends SIGCONT first).
    await Promise.all(masters.map((master) => master.stop()));
  };
  try {
    for (let i = 0; i < count; i++) {
      masters.push(await startRedis({ args: serverArgs }));
      proxies.push(await startFaultProxy({ targetPort: masters[i]!.port }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    masters,
    proxies,
    backend() {
      const clients: Redis[] = masters.map((master, i) =>
        master.client({
          port: proxies[i]!.port,
          // CHAOS_DEBUG: errors carry the stack of the call that sent the command.
          showFriendlyErrorStack: Boolean(process.env.CHAOS_DEBUG),
        }),
      );
      return {
        clients,
        dispose: () => {
          const done = Promise.all(clients.map((client) => disconnectClient(client))).then(
            () => undefined,
          );
          disposing.add(done);
          void done.finally(() => disposing.delete(done));
        },
      };
    },
    async disposed() {
      await Promise.all(disposing);
    },
    stop,
  };
}
