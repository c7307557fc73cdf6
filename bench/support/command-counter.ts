import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Command } from 'ioredis';
import { scriptNameOf } from '../../lib/core/redis/script-registry.js';

/** Commands by lower-case name. */
export type CommandCounts = Record<string, number>;

const counts: CommandCounts = {};
/** EVALSHA calls by script digest: which script the commands went to (a diagnosis aid). */
const scripts: CommandCounts = {};
let installed = false;

/** Called once per command a client writes: its name as sent, and its first argument. */
type CommandListener = (name: string, firstArg: unknown) => void;

type Encode = (args: ReadonlyArray<string | Buffer>) => unknown;

/**
 * node-redis's command encoder (the `@redis/client` that the repository's `redis` loads), whose
 * `default` export its command queue reads at every call.
 */
function nodeRedisEncoder(): { default: Encode } {
  const load = createRequire(__filename);
  const client = load.resolve('@redis/client', { paths: [dirname(load.resolve('redis'))] });
  return load(join(dirname(client), 'lib', 'RESP', 'encoder.js')) as { default: Encode };
}

/**
 * Calls `listener` for every command ioredis or node-redis writes to a Redis socket in this
 * process, until the returned function is called.
 *
 * ioredis: `Command.prototype.toWritable`, which it calls exactly once per write (a command
 * re-queued while offline passes `sendCommand` twice but is written once), and which the script
 * commands of `defineCommand` call through `super` after choosing EVAL or EVALSHA.
 * node-redis: its encoder, which its command queue calls exactly once per command it writes,
 * pub/sub commands and a command's prelude included, right before the write.
 */
export function hookCommandWrites(listener: CommandListener): () => void {
  const toWritable = Command.prototype.toWritable;
  Command.prototype.toWritable = function countedToWritable(this: Command, socket: object) {
    listener(this.name, this.args[0]);
    return toWritable.call(this, socket);
  };
  const encoder = nodeRedisEncoder();
  const encode = encoder.default;
  encoder.default = (args) => {
    listener(String(args[0]), args[1]);
    return encode(args);
  };
  return () => {
    Command.prototype.toWritable = toWritable;
    encoder.default = encode;
  };
}

/**
 * Counts, in this process, every command ioredis or node-redis writes to a Redis socket: on
 * every connection (pub/sub subscribers included), EVAL and EVALSHA as sent, and never the
 * commands a Lua script runs inside Redis. That is "what the clients send", the cost a library
 * puts on the network and on Redis's command loop. Redis's INFO commandstats cannot tell this
 * apart: it also counts the calls made inside scripts. MONITOR can, but slows Redis down too
 * much to run while timing. Its cost, one property increment per command, is the same for
 * every library.
 */
export function installCommandCounter(): void {
  if (installed) return;
  installed = true;
  hookCommandWrites((sent, firstArg) => {
    const name = sent.toLowerCase();
    counts[name] = (counts[name] ?? 0) + 1;
    if (name === 'evalsha') {
      const sha = String(firstArg);
      scripts[sha] = (scripts[sha] ?? 0) + 1;
    }
  });
}

/** A copy of the counts so far. */
export function commandSnapshot(): CommandCounts {
  if (!installed) throw new Error('installCommandCounter() was not called in this process');
  return { ...counts };
}

/** A copy of the EVALSHA counts so far, by script digest. */
export function scriptSnapshot(): CommandCounts {
  if (!installed) throw new Error('installCommandCounter() was not called in this process');
  return { ...scripts };
}

/**
 * Names for script digests: the names scripts were given with ioredis's `defineCommand` on these
 * clients (read from its `scriptsSet`, which is not public API), and this library's own script
 * names (nameScripts); a digest without a name stays a digest. Only for telling the scripts
 * apart in the results.
 */
export function scriptNames(clients: readonly object[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const client of clients) {
    const defined = (client as { scriptsSet?: Record<string, { sha?: unknown }> }).scriptsSet;
    for (const [name, script] of Object.entries(defined ?? {})) {
      if (typeof script.sha === 'string') names[script.sha] = name;
    }
  }
  return names;
}

/** Renames digests to script names where known (the first 8 digits of the digest otherwise). */
export function nameScripts(
  counts: CommandCounts,
  names: Readonly<Record<string, string>>,
): CommandCounts {
  const named: CommandCounts = {};
  for (const [sha, count] of Object.entries(counts)) {
    const name = names[sha] ?? scriptNameOf(sha) ?? `sha:${sha.slice(0, 8)}`;
    named[name] = (named[name] ?? 0) + count;
  }
  return named;
}

/** What was sent between two snapshots. */
export function commandsBetween(before: CommandCounts, after: CommandCounts): CommandCounts {
  const diff: CommandCounts = {};
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta > 0) diff[name] = delta;
  }
  return diff;
}

export function addCounts(into: CommandCounts, more: CommandCounts): CommandCounts {
  for (const [name, count] of Object.entries(more)) into[name] = (into[name] ?? 0) + count;
  return into;
}

export function totalCommands(counts: CommandCounts): number {
  let total = 0;
  for (const count of Object.values(counts)) total += count;
  return total;
}
