import { createServer, type Server, type Socket, connect } from 'node:net';
import { commandEnd, parseCommand, PUSH, respValueEnd, splitFrames } from './resp-frames.js';

/** A delay added to every frame of one direction. */
export interface Latency {
  /** Milliseconds every frame waits. */
  readonly ms: number;
  /** Up to this many milliseconds more, drawn per frame (order is kept: a frame never overtakes). */
  readonly jitterMs?: number;
}

/** Delays per direction; a direction left out gets none. */
export interface LatencySettings {
  /** Commands on their way to Redis. */
  readonly toServer?: Latency;
  /** Replies (and pub/sub messages) on their way to the client. */
  readonly toClient?: Latency;
}

/** Which commands a dropped reply may belong to. */
export type CommandMatcher = (command: readonly string[]) => boolean;

/** What the proxy did so far. */
export interface FaultProxyStats {
  /** Client connections accepted. */
  readonly connections: number;
  /** Replies swallowed by `dropReply()`, each followed by a cut connection. */
  readonly droppedReplies: number;
  /** Connections cut by `resetConnections()`. */
  readonly resets: number;
  /** Times `blackhole()` started. */
  readonly blackholes: number;
}

/**
 * A TCP proxy in front of one Redis server that injects network faults on command, mid-test:
 * latency per direction, a reply lost to a reconnect, reset connections and a black hole (a
 * partition). Clients connect to `port` instead of the server's; everything else passes
 * through unchanged, pub/sub and RESP3 pushes included.
 */
export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** Open client connections. */
  readonly connectionCount: number;
  readonly stats: FaultProxyStats;
  /** Sets the latency of each direction from now on (frames already queued keep theirs). */
  setLatency(settings: LatencySettings): void;
  /**
   * Arms a one-shot fault: the next command a client sends (after this call) that `match`
   * accepts is forwarded and runs on the server, but its reply is swallowed and the client
   * connection is cut right after the replies before it were delivered. ioredis reconnects and
   * resends every command that got no reply, that one included: "the reply was lost to a
   * reconnect". Subscriber and MONITOR connections are never chosen.
   *
   * Resolves with the command once its reply was dropped; `cancelDrop()` resolves it with
   * `undefined`.
   * @param match by default any command but the connection handshake (HELLO, CLIENT, INFO,
   *   SELECT, READONLY)
   */
  dropReply(match?: CommandMatcher): Promise<readonly string[] | undefined>;
  /** Disarms a pending `dropReply()`. */
  cancelDrop(): void;
  /**
   * Cuts every open connection at once (a TCP reset towards the client). Returns how many.
   */
  resetConnections(): number;
  /**
   * Stops forwarding in both directions, as a network partition would: bytes are held (TCP
   * keeps retransmitting them) and delivered when `heal()` is called, or thrown away with the
   * connections when `heal({ reset: true })` is (a partition long enough for the connections
   * to time out). New connections are accepted but held the same way.
   */
  blackhole(): void;
  heal(options?: { reset?: boolean }): void;
  /** Whether a black hole is in place. */
  readonly partitioned: boolean;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

export interface StartFaultProxyOptions {
  /** The Redis server's port (on 127.0.0.1). */
  readonly targetPort: number;
  readonly targetHost?: string;
}

/** Commands that put a connection in a mode where replies do not pair with commands. */
const MODE_COMMANDS = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'monitor']);
/** Commands ioredis sends to set a connection up: dropping their reply tests ioredis, not us. */
const HANDSHAKE = new Set(['hello', 'client', 'info', 'select', 'readonly', 'auth']);

const defaultMatch: CommandMatcher = (command) => !HANDSHAKE.has((command[0] ?? '').toLowerCase());

interface PendingReply {
  readonly command: readonly string[];
  /** Set when this reply is the one to drop. */
  readonly drop: ArmedDrop | undefined;
}

interface ArmedDrop {
  readonly match: CommandMatcher;
  readonly resolve: (command: readonly string[] | undefined) => void;
}

/** One direction of one connection: frames wait here for their latency and for a black hole. */
class DelayPipe {
  private readonly queue: Array<{ at: number; data: Buffer | (() => void) }> = [];
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly out: Socket,
    private readonly latency: () => Latency | undefined,
    private readonly held: () => boolean,
  ) {}

  /** Queues bytes, or an action that runs when every frame before it was delivered. */
  push(data: Buffer | (() => void)): void {
    const latency = this.latency();
    const delay = latency ? latency.ms + Math.random() * (latency.jitterMs ?? 0) : 0;
    const at = Math.max(this.lastAt, performance.now() + delay);
    this.lastAt = at;
    if (this.queue.length === 0 && delay === 0 && !this.held()) {
      this.deliver(data);
      return;
    }
    this.queue.push({ at, data });
    this.flush();
  }

  flush(): void {
    if (this.held()) return this.clearTimer();
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      this.deliver(this.queue.shift()!.data);
    }
    if (this.queue.length === 0) return this.clearTimer();
    const at = this.queue[0]!.at;
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.flush();
      },
      Math.max(0, at - now),
    );
  }

  clear(): void {
    this.queue.length = 0;
    this.clearTimer();
  }

  private deliver(data: Buffer | (() => void)): void {
    if (typeof data === 'function') data();
    else if (!this.out.destroyed) this.out.write(data);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

class ProxiedConnection {
  /** Subscriber or MONITOR connection: replies no longer pair with commands. */
  private unpaired = false;
  private readonly pending: PendingReply[] = [];
  private fromClient: Buffer = Buffer.alloc(0);
  private fromServer: Buffer = Buffer.alloc(0);
  private readonly toServer: DelayPipe;
  private readonly toClient: DelayPipe;
  /** Set once a reply was dropped: nothing more reaches the client. */
  private cutting = false;
  private closed = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly proxy: FaultProxyImpl,
  ) {
    this.toServer = new DelayPipe(
      upstream,
      () => proxy.latency.toServer,
      () => proxy.partitioned,
    );
    this.toClient = new DelayPipe(
      client,
      () => proxy.latency.toClient,
      () => proxy.partitioned,
    );
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    upstream.on('data', (chunk: Buffer) => this.onServerData(chunk));
    client.on('error', () => this.close());
    upstream.on('error', () => this.close());
    client.on('close', () => this.close());
    upstream.on('close', () => this.close());
  }

  flush(): void {
    this.toServer.flush();
    this.toClient.flush();
  }

  /** Cuts both sides; a reset sends the client a TCP RST instead of a FIN. */
  close(reset = false): void {
    if (this.closed) return;
    this.closed = true;
    this.toServer.clear();
    this.toClient.clear();
    // A reply marked for dropping whose connection went first was not dropped by the proxy.
    for (const reply of this.pending) reply.drop?.resolve(undefined);
    this.pending.length = 0;
    if (reset && !this.client.destroyed) this.client.resetAndDestroy();
    else this.client.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
  }

  private onClientData(chunk: Buffer): void {
    const { frames, rest } = splitFrames(
      this.fromClient.length === 0 ? chunk : Buffer.concat([this.fromClient, chunk]),
      commandEnd,
    );
    this.fromClient = rest;
    for (const frame of frames) {
      if (!this.unpaired) {
        const command = parseCommand(frame);
        const name = (command[0] ?? '').toLowerCase();
        if (MODE_COMMANDS.has(name)) {
          this.unpaired = true;
        } else {
          this.pending.push({ command, drop: this.proxy.claimDrop(command) });
        }
      }
      this.toServer.push(frame);
    }
  }

  private onServerData(chunk: Buffer): void {
    if (this.cutting) return;
    const { frames, rest } = splitFrames(
      this.fromServer.length === 0 ? chunk : Buffer.concat([this.fromServer, chunk]),
      respValueEnd,
    );
    this.fromServer = rest;
    for (const frame of frames) {
      if (this.unpaired || frame[0] === PUSH) {
        this.toClient.push(frame);
        continue;
      }
      const reply = this.pending.shift();
      const drop = reply?.drop;
      if (!drop) {
        this.toClient.push(frame);
        continue;
      }
      // The reply is complete: the command ran. Deliver what came before it, then cut.
      this.cutting = true;
      this.toClient.push(() => {
        this.proxy.dropped();
        this.close();
        drop.resolve(reply.command);
      });
      return;
    }
  }
}

class FaultProxyImpl implements FaultProxy {
  readonly host = '127.0.0.1';
  latency: LatencySettings = {};
  partitioned = false;
  private readonly connections = new Set<ProxiedConnection>();
  private armed: ArmedDrop | undefined;
  private counts = { connections: 0, droppedReplies: 0, resets: 0, blackholes: 0 };

  constructor(private readonly server: Server) {}

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address !== 'object')
      throw new Error('the fault proxy is not listening');
    return address.port;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get stats(): FaultProxyStats {
    return { ...this.counts };
  }

  accept(client: Socket, targetHost: string, targetPort: number): void {
    this.counts.connections++;
    const upstream = connect({ host: targetHost, port: targetPort });
    this.connections.add(new ProxiedConnection(client, upstream, this));
  }

  forget(connection: ProxiedConnection): void {
    this.connections.delete(connection);
  }

  /** The armed drop, if `command` is the one it waits for (it is then disarmed). */
  claimDrop(command: readonly string[]): ArmedDrop | undefined {
    if (!this.armed || !this.armed.match(command)) return undefined;
    const armed = this.armed;
    this.armed = undefined;
    return armed;
  }

  dropped(): void {
    this.counts.droppedReplies++;
  }

  setLatency(settings: LatencySettings): void {
    this.latency = {
      toServer:
        settings.toServer?.ms || settings.toServer?.jitterMs ? settings.toServer : undefined,
      toClient:
        settings.toClient?.ms || settings.toClient?.jitterMs ? settings.toClient : undefined,
    };
  }

  dropReply(match: CommandMatcher = defaultMatch): Promise<readonly string[] | undefined> {
    this.cancelDrop();
    return new Promise((resolve) => (this.armed = { match, resolve }));
  }

  cancelDrop(): void {
    const armed = this.armed;
    this.armed = undefined;
    armed?.resolve(undefined);
  }

  resetConnections(): number {
    const count = this.connections.size;
    this.counts.resets += count;
    for (const connection of [...this.connections]) connection.close(true);
    return count;
  }

  blackhole(): void {
    if (this.partitioned) return;
    this.partitioned = true;
    this.counts.blackholes++;
  }

  heal(options: { reset?: boolean } = {}): void {
    if (!this.partitioned) return;
    this.partitioned = false;
    if (options.reset) {
      this.resetConnections();
      return;
    }
    for (const connection of this.connections) connection.flush();
  }

  async close(): Promise<void> {
    this.cancelDrop();
    this.partitioned = false;
    for (const connection of [...this.connections]) connection.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts a fault proxy on a free loopback port in front of the Redis at `targetPort`. */
export async function startFaultProxy(options: StartFaultProxyOptions): Promise<FaultProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  const server = createServer();
  const proxy = new FaultProxyImpl(server);
  server.on('connection', (client) => proxy.accept(client, targetHost, options.targetPort));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return proxy;
}
