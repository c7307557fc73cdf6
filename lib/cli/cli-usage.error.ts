import { RedisLockError } from '../core/errors/redis-lock.error.js';

/**
 * The command line of `nestjs-redis-lock` was not understood: an unknown command or option, a
 * missing argument, a value that is not one. The CLI prints the message and exits with status 2.
 * Used by the command line only.
 */
export class CliUsageError extends RedisLockError {
  constructor(
    /** The argument or option at fault, for example `'--url'`. */
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}
