import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** The two ioredis calls a script needs, which a `Redis` and a `Cluster` both have. */
type ScriptClient = Pick<Redis, 'evalsha' | 'eval'> | Pick<Cluster, 'evalsha' | 'eval'>;

/**
 * A Lua script with typed keys, arguments and reply, run with `EVALSHA` and sent whole
 * (`EVAL`) only when the server does not know it yet (a new server, a restart, `SCRIPT FLUSH`,
 * a Cluster master that never ran it). Leaves the client as it found it: no `defineCommand`.
 * @internal
 */
export class LuaScript<Keys extends readonly string[], Args extends readonly string[], Reply> {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: ScriptClient, keys: Keys, args: Args): Promise<Reply> {
    try {
      return (await client.evalsha(this.sha, keys.length, ...keys, ...args)) as Reply;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await client.eval(this.lua, keys.length, ...keys, ...args)) as Reply;
    }
  }
}
