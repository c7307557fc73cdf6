import { RedisLockError } from '../core/errors/redis-lock.error.js';

/**
 * A `@DistributedLock` key could not be built: a template that does not fit the method (thrown
 * when the class is defined), or an argument that cannot name a lock (`undefined`, `null`, an
 * empty string, an object, an array: thrown at call time, before the method runs). A lock is
 * never taken on a key like `order:undefined`.
 * @publicApi
 */
export class LockKeyError extends RedisLockError {
  constructor(
    /** The key template (or a description of the key function) that failed. */
    readonly template: string,
    message: string,
    /** The placeholder that failed, for example `<dto.customer.id>`, when there is one. */
    readonly placeholder?: string,
  ) {
    super(message);
  }
}
