import { InvalidLockOptionsError } from '../../core/errors/invalid-lock-options.error.js';
import { LockKeyError } from '../../errors/lock-key.error.js';
import type { MapLockErrors } from '../../exceptions/lock-error-mapper.interface.js';
import { type LockErrorOrigin, markLockError } from '../../exceptions/lock-error-origin.js';

/**
 * The errors a decorated method throws for its own lock: each carries its origin (the method,
 * for the log, and the decorator's `mapErrors`: see `markLockError`), and a key its arguments
 * cannot name becomes a `LockKeyError` (answered 400: the caller's input, not a bug).
 * @internal
 */
export class LeaseMethodErrors {
  private readonly origin: LockErrorOrigin;

  constructor(
    decorator: string,
    method: string,
    mapErrors: MapLockErrors | undefined,
    /** The key as written, for `LockKeyError.template`. */
    private readonly keyDescription: string,
  ) {
    this.origin = { decorator, method, mapErrors };
  }

  /** Marks `error` as this method's own lock error, and returns it. */
  own<E>(error: E): E {
    return markLockError(error, this.origin);
  }

  /** A key the arguments could not name, said with the method's name. */
  keyError(error: unknown): LockKeyError {
    const { decorator, method } = this.origin;
    return this.own(
      new LockKeyError(
        this.keyDescription,
        `${decorator} on ${method}: ${(error as Error).message} The method was not run.`,
      ),
    );
  }

  /** A failure to enter: the engine refusing the key is the caller's key, not a bug. */
  enterError(error: unknown): unknown {
    return error instanceof InvalidLockOptionsError &&
      error.option === 'key' &&
      !(error instanceof LockKeyError)
      ? this.keyError(error)
      : this.own(error);
  }
}
