import { RedisLockError } from '../core/errors/redis-lock.error.js';

/**
 * The command line could not reach Redis (refused, unknown host, timeout, authentication). The
 * message names the servers (passwords masked) and what they answered; the CLI prints it and
 * exits with status 1. Used by the command line only.
 */
export class CliConnectionError extends RedisLockError {
  constructor(
    /** The URLs it tried, passwords masked. */
    readonly urls: readonly string[],
    message: string,
  ) {
    super(message);
  }
}
