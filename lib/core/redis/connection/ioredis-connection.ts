import type { Cluster, Redis } from 'ioredis';
import type { WakeupTransport } from '../../backend/lock-backend.interface.js';
import { CLUSTER_SLOTS } from '../../util/key-slot.util.js';
import { digestOf, scriptName, type ScriptDefinition } from '../script-registry.js';
import { IoredisWakeupTransport } from './ioredis-wakeup-transport.js';
import { isNoScript } from './reply-error.js';
import { batchWrite } from './write-batch.js';
import type {
  CommandArgument,
  LockConnection,
  ServerConnection,
} from './lock-connection.interface.js';

/** ioredis states in which a command would only wait in the offline queue (or never go). */
const DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

/** ioredis states in which a probe's command would only wait in the offline queue. */
const DISCONNECTED = new Set(['close', 'reconnecting', 'end']);

/**
 * Scripts sent in full (EVAL) on each connection (socket) of a client: EVALSHA from then on.
 * A reconnect opens a new socket, perhaps to a server that restarted without its scripts.
 */
const scriptsSent = new WeakMap<object, Set<string>>();

/** Commands defined on each client (several managers and drivers may share a client). */
const defined = new WeakMap<object, Set<string>>();

/**
 * An ioredis client (5 or 6) or an iovalkey client (the ioredis fork for Valkey, with the same
 * API): `Redis` on one server or following a Sentinel master, or `Cluster`. A script call is one
 * EVALSHA through the client's own `evalsha` and key prefix (EVAL on the script's first use on
 * each connection, and after a NOSCRIPT); on a Cluster, and for read-only scripts (read
 * routing), through `defineCommand`, which tracks each node's connection itself.
 * @internal
 */
export class IoredisConnection implements LockConnection {
  readonly family = 'ioredis' as const;
  readonly topology: LockConnection['topology'];
  readonly cluster: boolean;
  readonly keyPrefix: string;
  readonly resendsUnanswered: boolean;

  constructor(readonly client: Redis | Cluster) {
    this.cluster = (client as Cluster).isCluster === true;
    this.keyPrefix = client.options.keyPrefix ?? '';
    // A Cluster sends again, on another connection, a command whose node connection closed for
    // good after it was written (its failover retry), whatever its nodes' own option says.
    this.resendsUnanswered =
      this.cluster || (client as Redis).options.autoResendUnfulfilledCommands !== false;
    this.topology = this.cluster
      ? 'cluster'
      : ((client as Redis).options.sentinels?.length ?? 0) > 0
        ? 'sentinel'
        : 'standalone';
  }

  defineScripts<T extends object>(definitions: { readonly [K in keyof T]: ScriptDefinition }): T {
    const { client, cluster } = this;
    const scripts: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [method, definition] of Object.entries<ScriptDefinition>(definitions)) {
      const { lua, numberOfKeys, readOnly } = definition;
      const text = typeof lua === 'function' ? lua(cluster ? 'SPUBLISH' : 'PUBLISH') : lua;
      // A Cluster routes each command to a node's own connection, which defineCommand tracks
      // (EVAL on its first use on each); read-only scripts need defineCommand's read routing.
      scripts[method] =
        readOnly || cluster
          ? this.definedCommand(scriptName(definition, cluster), text, numberOfKeys, readOnly)
          : evalShaOf(client as Redis, text, digestOf(text, definition, cluster), numberOfKeys);
    }
    return scripts as T;
  }

  /**
   * A script defined on the client with `defineCommand`: on a Cluster, and for read-only
   * scripts, which ioredis then sends to replicas where the client reads from them
   * (`scaleReads`).
   */
  private definedCommand(
    command: string,
    lua: string,
    numberOfKeys: number | undefined,
    readOnly = false,
  ): (...args: unknown[]) => Promise<unknown> {
    const { client } = this;
    let names = defined.get(client);
    if (!names) {
      names = new Set();
      defined.set(client, names);
    }
    if (!names.has(command)) {
      client.defineCommand(command, {
        lua,
        ...(numberOfKeys === undefined ? {} : { numberOfKeys }),
        ...(readOnly ? { readOnly } : {}),
      });
      names.add(command);
    }
    // defineCommand adds the command as a method the client's type does not know.
    const methods = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    return (...args) => methods[command]!(...args);
  }

  async runScript(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
  ): Promise<unknown> {
    try {
      return await this.client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await this.client.eval(lua, keys.length, ...keys, ...args);
    }
  }

  async scriptThenWait(
    lua: string,
    sha: string,
    keys: readonly string[],
    args: readonly CommandArgument[],
    wait: { readonly replicas: number; readonly timeout: number },
  ): Promise<[unknown, number]> {
    // EVALSHA in a pipeline rather than a defined command, which would resend a NOSCRIPT
    // script outside the pipeline, after the WAIT.
    const send = async (evalsha: boolean): Promise<[unknown, number]> => {
      const pipeline = this.client.pipeline();
      if (evalsha) pipeline.evalsha(sha, keys.length, ...keys, ...args);
      else pipeline.eval(lua, keys.length, ...keys, ...args);
      pipeline.wait(wait.replicas, wait.timeout);
      const results = (await pipeline.exec()) ?? [];
      const [scriptError, scriptReply] = results[0] ?? [new Error('no reply')];
      const [waitError, waitReply] = results[1] ?? [new Error('no reply')];
      if (scriptError) throw scriptError;
      if (waitError) throw waitError;
      return [scriptReply, Number(waitReply)];
    };
    try {
      return await send(true);
    } catch (error) {
      if (isNoScript(error)) return send(false);
      throw error;
    }
  }

  servers(): Promise<readonly ServerConnection[]> {
    if (!this.cluster) return Promise.resolve([server(this.client as Redis)]);
    const cluster = this.client as Cluster;
    return Promise.resolve(
      cluster.nodes('master').map((master) => server(master, slotServedBy(cluster, master))),
    );
  }

  unreachable(): string | undefined {
    const { status } = this.client;
    return DOWN.has(status) ? `not connected to Redis (ioredis status "${status}")` : undefined;
  }

  isClosed(): boolean {
    return this.client.status === 'end';
  }

  openWakeupTransport(): WakeupTransport {
    if (this.cluster) {
      const connection = (this.client as Cluster).duplicate(undefined, {
        shardedSubscribers: true,
      });
      return new IoredisWakeupTransport(connection, true, true);
    }
    // Resubscribed by the transport, which handles the outcome (see IoredisWakeupTransport).
    const connection = (this.client as Redis).duplicate({ autoResubscribe: false });
    return new IoredisWakeupTransport(connection, false, true, true);
  }

  borrowWakeupTransport(): WakeupTransport {
    return new IoredisWakeupTransport(this.client, this.cluster, false);
  }
}

/** How operators know a server: `host:port`, its socket, or the Sentinel master name. */
function labelOf(client: Redis): string {
  const { options } = client;
  if (options.sentinels && options.sentinels.length > 0) return `sentinel:${options.name ?? ''}`;
  if (options.path) return options.path;
  return `${options.host ?? 'localhost'}:${options.port ?? 6379}`;
}

function server(client: Redis, slot?: number): ServerConnection {
  return {
    label: labelOf(client),
    ...(slot === undefined ? {} : { slot }),
    down: () =>
      DISCONNECTED.has(client.status)
        ? `not connected (ioredis connection status "${client.status}")`
        : undefined,
    command: ([name, ...args]) => client.call(String(name), ...args),
  };
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

type EvalSha = (sha: string, numberOfKeys: number | string, args: unknown[]) => Promise<unknown>;

/** The parts of ioredis' `Command` (public in ioredis 5 and 6, and in iovalkey) used here. */
interface ScriptCommand {
  args: unknown[];
  stringifyArguments(): void;
}
type ScriptCommandClass = new (
  name: string,
  args: unknown[],
  options: { replyEncoding: 'utf8' },
) => ScriptCommand;

/** The `Command` class of each client's own ioredis copy (or iovalkey's); null: not found. */
const commandClasses = new WeakMap<object, ScriptCommandClass | null>();
const NO_ARGUMENTS: unknown[] = [];
const UTF8 = { replyEncoding: 'utf8' } as const;

/**
 * The `Command` class the client builds its commands with, read off a command queued in a
 * pipeline that is never sent (a pipeline only queues until exec), so that a script call can be
 * built without `Command`'s constructor flattening its arguments: `Array.prototype.flat` costs
 * about 0.1 us per argument on Node 20, 1 us for an acquire's eleven. Undefined when the client
 * builds commands another way; the caller then uses the client's methods.
 */
function commandClassOf(client: Redis): ScriptCommandClass | undefined {
  let found = commandClasses.get(client);
  if (found === undefined) {
    found = null;
    try {
      const pipeline = client.pipeline() as unknown as { _queue?: unknown[] };
      (pipeline as unknown as { ping(): void }).ping();
      const candidate = (pipeline._queue?.[0] as { constructor?: unknown } | undefined)
        ?.constructor as ((...args: never[]) => unknown) | undefined;
      const prototype = candidate?.prototype as Record<string, unknown> | undefined;
      if (
        typeof prototype?.stringifyArguments === 'function' &&
        typeof prototype.toWritable === 'function'
      ) {
        found = candidate as unknown as ScriptCommandClass;
      }
    } catch {
      // A client without pipelines of this shape: its own methods build the commands.
    }
    commandClasses.set(client, found);
  }
  return found ?? undefined;
}

/**
 * Sends `name` (EVALSHA or EVAL) with `head` (digest or script), the number of keys and the
 * script's keys and arguments: as a command built here when the client allows it (no key
 * prefix, which the client's methods apply; no auto-pipelining, which they schedule; no
 * friendly error stacks, which they capture), otherwise through the client's own method.
 */
function scriptSender(
  client: Redis,
): (
  name: 'evalsha' | 'eval',
  head: string,
  keysFirst: number | string,
  args: unknown[],
) => Promise<unknown> {
  const evalsha = client.evalsha as unknown as EvalSha;
  const evaluate = client.eval as unknown as EvalSha;
  const { keyPrefix, enableAutoPipelining, showFriendlyErrorStack } = client.options;
  const Command =
    keyPrefix || enableAutoPipelining || showFriendlyErrorStack
      ? undefined
      : commandClassOf(client);
  if (!Command) {
    // ioredis flattens one level of nested arrays in a command's arguments.
    return (name, head, keysFirst, args) =>
      (name === 'evalsha' ? evalsha : evaluate).call(client, head, keysFirst, args);
  }
  const sendCommand = client.sendCommand as unknown as (command: ScriptCommand) => Promise<unknown>;
  const connected = client as { status: string; stream?: Parameters<typeof batchWrite>[0] };
  return (name, head, keysFirst, args) => {
    const command = new Command(name, NO_ARGUMENTS, UTF8);
    command.args = [head, keysFirst, ...args];
    // What the constructor does to the arguments it is given: numbers to strings, and the
    // binary mode for Buffers.
    command.stringifyArguments();
    // Written now only when ready; otherwise ioredis queues it until it is.
    if (connected.status === 'ready' && connected.stream) batchWrite(connected.stream);
    return sendCommand.call(client, command);
  };
}

/**
 * A script sent as EVALSHA (see scriptSender), with EVAL on its first use on each connection and
 * after NOSCRIPT. Cheaper per call than a command made with `defineCommand`, which copies the
 * arguments twice and wraps every command it writes.
 */
function evalShaOf(
  client: Redis,
  lua: string,
  sha: string,
  numberOfKeys: number | undefined,
): (...args: unknown[]) => Promise<unknown> {
  const send = scriptSender(client);
  // The first call of a script on each connection sends the script itself (EVAL), as
  // defineCommand does: after a reconnect (a restarted server, a failover) EVALSHA would be
  // refused with NOSCRIPT first, and the EVAL that follows could land after the caller gave up
  // on its attempt and gave the lock back.
  let lastSocket: object | undefined;
  /** An EVAL went out before the client had a connection: on its first one, in all likelihood. */
  let sentBeforeConnecting = false;
  const run = (keysFirst: number | string, args: unknown[]): Promise<unknown> => {
    const socket = (client as { stream?: object }).stream;
    if (socket === undefined) {
      // Not connected yet: the command waits for the connection, where the script is unknown.
      sentBeforeConnecting = true;
      return send('eval', lua, keysFirst, args);
    }
    if (socket !== lastSocket) {
      lastSocket = socket;
      let sent = scriptsSent.get(socket);
      if (!sent) scriptsSent.set(socket, (sent = new Set()));
      const first = !sent.has(sha) && !sentBeforeConnecting;
      sent.add(sha);
      sentBeforeConnecting = false;
      if (first) return send('eval', lua, keysFirst, args);
    }
    return send('evalsha', sha, keysFirst, args).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return send('eval', lua, keysFirst, args);
    });
  };
  if (numberOfKeys !== undefined) return (...args) => run(numberOfKeys, args);
  // The caller passes the number of keys first.
  return (...args) => run(args[0] as number, args.slice(1));
}
