/**
 * Base class of every error this library throws.
 *
 * Catch it to handle every lock failure in one place; check the subclass (or `name`) to tell
 * them apart.
 *
 * @example
 * try {
 *   await manager.withLock('report:daily', () => build());
 * } catch (err) {
 *   if (err instanceof LockTimeoutError) return; // another instance is building it
 *   throw err;
 * }
 * @publicApi
 */
export class RedisLockError extends Error {
  override readonly name: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
