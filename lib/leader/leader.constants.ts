/**
 * Metadata key under which `@LeaderOnly` records its election on the method, for tools and
 * tests: `Reflect.getMetadata(LEADER_ONLY_METADATA, Class.prototype.method)`.
 * @publicApi
 */
export const LEADER_ONLY_METADATA = 'redis-lock:leader-only';

/** The elections a class's `@LeaderOnly` methods need, on the class. @internal */
export const LEADER_ELECTIONS_METADATA = 'redis-lock:leader-elections';

/** Property of decorated classes that receives the LeaderService. @internal */
export const LEADER_SERVICE_PROPERTY = Symbol(
  'LeaderService, for @LeaderOnly (import RedisLockModule)',
);
