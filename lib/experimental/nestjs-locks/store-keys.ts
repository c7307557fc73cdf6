import { InvalidLockOptionsError } from '../../core/errors/invalid-lock-options.error.js';
import { describeValue } from '../../core/options/describe-value.util.js';
import { hasHashTag, keySlot, tagForSlot } from '../../core/util/key-slot.util.js';

/**
 * How the store names its Redis keys. A lock is `<prefix>lock:<key>`, whatever the key holds
 * (braces, `#`, any Unicode): nothing of the key is interpreted. Its fencing counter is the one
 * of its Cluster slot, `<prefix>fence:{<tag>}`, where `{tag}` pins the counter to the slot of
 * the lock, so one script never touches two slots (a Cluster refuses that with CROSSSLOT).
 * @internal
 */
export class StoreKeys {
  private readonly clientPrefix: string;
  private readonly sharedFence: string | undefined;

  constructor(
    /** The client's own key prefix (ioredis `keyPrefix`), or ''. */
    clientPrefix: string,
    readonly prefix: string,
  ) {
    // ioredis puts its own keyPrefix in front of every key: Redis, and the slot, see both.
    this.clientPrefix = clientPrefix;
    const full = this.clientPrefix + prefix;
    if (hasHashTag(full)) {
      // Every key lands in the tag's slot: one counter serves them all.
      this.sharedFence = `${prefix}fence`;
    } else if (full.includes('{')) {
      throw new InvalidLockOptionsError(
        'keyPrefix',
        `keyPrefix ${describeValue(full)} contains "{" without a complete {hash tag}, which would move the store's keys to unexpected Cluster slots. Remove the brace or close the tag.`,
      );
    }
  }

  lock(key: string): string {
    return `${this.prefix}lock:${key}`;
  }

  /** The fencing counter of the slot `lockKey` (from `lock()`) lives in. */
  fence(lockKey: string): string {
    return (
      this.sharedFence ??
      `${this.prefix}fence:{${tagForSlot(keySlot(this.clientPrefix + lockKey))}}`
    );
  }
}
