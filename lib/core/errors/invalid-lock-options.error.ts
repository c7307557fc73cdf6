import { RedisLockError } from './redis-lock.error.js';

/**
 * A key or an option was rejected before anything was sent to Redis.
 *
 * `option` names the offending option (`'key'`, `'ttl'`, `'waitTimeout'`, ...). The message
 * says what value was received and what is accepted instead.
 * @publicApi
 */
export class InvalidLockOptionsError extends RedisLockError {
  constructor(
    /** The option that was rejected, for example `'ttl'`. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}
