// One fault, done to one fault proxy, one Redis server or this process, with its parameters
// drawn from the caller's stream. The injectors decide what to fault and when; these say what a
// fault does. Each returns what it did (for the round's fault log), without naming its target,
// or undefined when there was nothing to fault.
import type { FaultProxy } from '../fault-proxy.js';
import type { RedisServer } from '../redis-server.js';
import type { Random } from './random.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Lua script that keeps Redis busy for ARGV[1] ms (TIME advances inside scripts on 7.x). */
const SPIN_SCRIPT = `
local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat
  local now = redis.call('TIME')
until (now[1] * 1000000 + now[2]) - start >= tonumber(ARGV[1]) * 1000
return 1
`;

const SCRIPT_COMMANDS = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall']);

/** A window of delayed (jittered) replies, and sometimes commands, through the proxy. */
export async function delayFrames(proxy: FaultProxy, rng: Random): Promise<string> {
  const toClient = { ms: rng.int(5, 40), jitterMs: rng.int(0, 20) };
  const toServer = rng.chance(0.5) ? { ms: rng.int(2, 20), jitterMs: rng.int(0, 10) } : undefined;
  const windowMs = rng.int(200, 1_500);
  proxy.setLatency({ toClient, toServer });
  await sleep(windowMs);
  proxy.setLatency({});
  return `replies ${toClient.ms}+${toClient.jitterMs} ms${toServer ? `, commands ${toServer.ms}+${toServer.jitterMs} ms` : ''} for ${windowMs} ms`;
}

/**
 * The next command (mostly a script) runs, its reply is lost with the connection, and ioredis
 * resends it. Nothing is faulted if no such command comes within a second.
 */
export async function dropOneReply(proxy: FaultProxy, rng: Random): Promise<string | undefined> {
  const scriptsOnly = rng.chance(0.8);
  const dropped = proxy.dropReply(
    scriptsOnly ? (command) => SCRIPT_COMMANDS.has(command[0]!.toLowerCase()) : undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  const command = await Promise.race([
    dropped,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 1_000))),
  ]);
  clearTimeout(timer);
  proxy.cancelDrop();
  if (!command) return undefined;
  const args = command
    .slice(1, 4)
    .map((arg) => (arg.length > 48 ? `<${arg.length} bytes>` : arg))
    .join(' ');
  return `reply of ${command[0]} ${args} lost`;
}

/** Every connection through the proxy cut at once: its clients are disconnected. */
export function cutConnections(proxy: FaultProxy): string | undefined {
  const cut = proxy.resetConnections();
  return cut > 0 ? `${cut} connections cut` : undefined;
}

/**
 * A partition: the proxy forwards nothing for a while, then delivers what it held or,
 * sometimes, cuts the connections instead.
 */
export async function partition(proxy: FaultProxy, rng: Random): Promise<string> {
  const ms = rng.int(50, 700);
  const reset = rng.chance(0.3);
  proxy.blackhole();
  await sleep(ms);
  proxy.heal({ reset });
  return `partitioned for ${ms} ms${reset ? ', then connections cut' : ''}`;
}

/** Redis busy (DEBUG SLEEP, or a Lua script that spins) for tens to hundreds of ms. */
export async function keepBusy(server: RedisServer, rng: Random): Promise<string | undefined> {
  const ms = rng.int(30, 400);
  const debug = rng.chance(0.5);
  try {
    if (debug) await server.command('DEBUG', 'SLEEP', String(ms / 1000));
    else await server.command('EVAL', SPIN_SCRIPT, '0', String(ms));
  } catch {
    return undefined; // Redis was restarting.
  }
  return `Redis busy for ${ms} ms (${debug ? 'DEBUG SLEEP' : 'spinning script'})`;
}

/** Redis forgets its scripts, connections kept: EVALSHA is refused and resent as EVAL. */
export async function flushScripts(server: RedisServer): Promise<string | undefined> {
  try {
    await server.command('SCRIPT', 'FLUSH');
  } catch {
    return undefined; // Redis was restarting.
  }
  return 'Redis forgot its scripts (SCRIPT FLUSH)';
}

/** This process's event loop blocked, as a long GC pause would. */
export function blockEventLoop(rng: Random): string {
  const ms = rng.int(20, 300);
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy: nothing else in this process runs.
  }
  return `event loop blocked for ${ms} ms`;
}
