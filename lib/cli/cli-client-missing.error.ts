import { RedisLockError } from '../core/errors/redis-lock.error.js';

/**
 * The command line connects with ioredis, and ioredis cannot be loaded from where it runs (an
 * application on node-redis only, or a bare `npx nestjs-redis-lock`). The message says how to
 * run it with ioredis; the CLI prints it and exits with status 1. Used by the command line only.
 */
export class CliClientMissingError extends RedisLockError {
  /** The client library the command line needs. */
  readonly client = 'ioredis';

  constructor(
    /** Why loading it failed, as Node said it. */
    readonly reason: string,
  ) {
    super(
      `The command line connects to Redis with ioredis, which is not installed where it runs (${reason}). Install it beside the package (npm install --save-dev ioredis), or run the command with it: npx -p ioredis -p nestjs-redis-lock nestjs-redis-lock <command>. The application itself may use node-redis.`,
    );
  }
}
