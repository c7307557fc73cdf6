import { createHash } from 'node:crypto';
import type { LockConnection } from '../../core/redis/connection/lock-connection.interface.js';

/**
 * A Lua script with typed keys, arguments and reply, run with `EVALSHA` and sent whole
 * (`EVAL`) only when the server does not know it yet (a new server, a restart, `SCRIPT FLUSH`,
 * a Cluster master that never ran it), on any client the engine supports. Leaves the client as
 * it found it: nothing is defined on it.
 * @internal
 */
export class LuaScript<Keys extends readonly string[], Args extends readonly string[], Reply> {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(connection: LockConnection, keys: Keys, args: Args): Promise<Reply> {
    return (await connection.runScript(this.lua, this.sha, keys, args)) as Reply;
  }
}
