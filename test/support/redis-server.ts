import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * The one way tests get a Redis: a private `redis-server` process on a free loopback port,
 * started without persistence, that a test may kill, pause or restart, and that never touches
 * anybody's data (the 127.0.0.1:6379 server of the machine included).
 */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Pid of the current process (changes on restart). */
  readonly pid: number;
  /** A new ioredis client for this server, closed by `stopAllRedis()` if the test forgets. */
  client(options?: RedisOptions): Redis;
  /** SIGKILL: the server dies without a word, clients see a broken connection. */
  kill(): Promise<void>;
  /** SIGSTOP: the server freezes, connections stay open, commands get no answer. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts the server again on the same port, empty (it never persisted anything). */
  restart(): Promise<void>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
  /** Runs a command on a short-lived connection (works while the test's clients are busy). */
  command(...args: Array<string | number>): Promise<unknown>;
}

export interface StartRedisOptions {
  /** Extra `redis-server` arguments, for example ['--cluster-enabled', 'yes']. */
  readonly args?: readonly string[];
  /** A fixed port; by default a free one is chosen. */
  readonly port?: number;
  /**
   * Text of a config file, written into the server's directory and passed first (Sentinel
   * needs one: pass it with args ['--sentinel']). Kept across restarts.
   */
  readonly config?: string;
}

const running = new Set<ChildProcess>();
const clients = new Set<Redis>();
let checked = false;

function assertRedisInstalled(): void {
  if (checked) return;
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server was not found on PATH, and the tests need real Redis servers (7.0 or newer). ' +
        'Install it: `sudo apt-get install -y redis-server` (Debian/Ubuntu), `brew install redis` (macOS), ' +
        'or run `bash .ci/run`, which installs it.',
    );
  }
  checked = true;
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

async function launch(
  port: number,
  dir: string,
  args: readonly string[],
  configFile: string | undefined,
): Promise<ChildProcess | undefined> {
  const child = spawn(
    'redis-server',
    [
      ...(configFile ? [configFile] : []),
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) return undefined;
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a private redis-server. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  assertRedisInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'nrl-redis-'));
  const args = options.args ?? [];
  let configFile: string | undefined;
  if (options.config !== undefined) {
    configFile = join(dir, 'redis.conf');
    writeFileSync(configFile, options.config);
  }
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  // A port found free can be taken before redis-server binds it: try a few others.
  for (let tries = 0; tries < 5 && !child; tries++) {
    child = await launch(port, dir, args, configFile);
    if (!child && options.port === undefined) port = await freePort();
  }
  if (!child) throw new Error(`redis-server could not start on port ${port}`);
  let current: ChildProcess = child;

  const server: RedisServer = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get pid() {
      return current.pid!;
    },
    client(clientOptions?: RedisOptions) {
      const client = new Redis({ host: '127.0.0.1', port, ...clientOptions });
      // Tests break connections on purpose; keep ioredis' reconnect noise out of the output.
      client.on('error', () => undefined);
      clients.add(client);
      client.once('end', () => clients.delete(client));
      return client;
    },
    async kill() {
      current.kill('SIGKILL');
      await waitForExit(current);
    },
    pause() {
      current.kill('SIGSTOP');
    },
    resume() {
      current.kill('SIGCONT');
    },
    async restart() {
      if (current.exitCode === null && current.signalCode === null) await server.kill();
      const next = await launch(port, dir, args, configFile);
      if (!next) throw new Error(`redis-server could not restart on port ${port}`);
      current = next;
    },
    async stop() {
      if (current.exitCode === null && current.signalCode === null) {
        current.kill('SIGCONT');
        current.kill('SIGKILL');
        await waitForExit(current);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async command(...commandArgs) {
      const conn = new Redis({
        host: '127.0.0.1',
        port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      conn.on('error', () => undefined);
      try {
        await conn.connect();
        return await conn.call(String(commandArgs[0]), ...commandArgs.slice(1));
      } finally {
        conn.disconnect();
      }
    },
  };
  return server;
}

/** Disconnects every client made by `server.client()` and kills every server still running. */
export async function stopAllRedis(): Promise<void> {
  for (const client of clients) client.disconnect();
  clients.clear();
  await Promise.all(
    [...running].map((child) => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      return waitForExit(child);
    }),
  );
}

// A crashed test file must not leave servers behind.
process.once('exit', () => {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Parses INFO commandstats into call counts per command (lower-case names). */
export async function commandCalls(server: RedisServer): Promise<Record<string, number>> {
  const info = String(await server.command('INFO', 'commandstats'));
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1]!] = Number(match[2]);
  }
  return calls;
}

/** Difference of two commandstats snapshots, without the commands the snapshots themselves ran. */
export function callsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta > 0 && name !== 'info' && name !== 'hello' && name !== 'client|setinfo') {
      diff[name] = delta;
    }
  }
  return diff;
}

/**
 * Records the commands clients send to `server` while `operation` runs, through MONITOR.
 * Commands a Lua script runs are left out: the result is what crossed the network. The
 * connections the helper itself opens are left out too.
 */
export async function monitorCommands(
  server: RedisServer,
  operation: () => Promise<unknown>,
): Promise<string[][]> {
  const monitorClient = server.client({ lazyConnect: true });
  await monitorClient.connect();
  const monitor = await monitorClient.monitor();
  const seen: string[][] = [];
  const marker = `monitor-end-${Math.random()}`;
  let done: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (done = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) return done();
    if (source === 'lua') return;
    seen.push(args);
  });
  try {
    await operation();
    await server.command('ECHO', marker);
    await ended;
  } finally {
    monitor.disconnect();
    monitorClient.disconnect();
  }
  // The marker's own connection sends HELLO, CLIENT SETINFO and INFO (ready check) before ECHO.
  return seen.filter((args) => !/^(hello|client|info)$/i.test(args[0] ?? ''));
}

/** Counts recorded commands by lower-case name. */
export function countByName(commands: string[][]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [name] of commands)
    counts[name!.toLowerCase()] = (counts[name!.toLowerCase()] ?? 0) + 1;
  return counts;
}
