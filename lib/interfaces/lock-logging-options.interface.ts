/**
 * What the module can log, one name per kind of event:
 *
 * - `lost`: a held lock was lost (taken after its ttl, expired, or not confirmable);
 * - `backendError`: Redis failed an acquire or could not confirm a release;
 * - `replicaShortfall`: `waitForReplicas` with `onShortfall: 'report'` granted a lock fewer
 *   replicas acknowledged;
 * - `shutdownTimeout`: `app.close()` stopped waiting for locked methods after `shutdownTimeout`;
 * - `connection`: a connection the module created went down (and, at `log`, came back);
 * - `unavailable`: a request was answered 503 (or your `mapErrors`' answer) because Redis
 *   failed, its lock was lost, or the app is shutting down; the line names the call and cause;
 * - `invalidKey`: a request's arguments could not name its lock (answered 400); the line names
 *   the method and the placeholder, which the client is not told;
 * - `acquireFailed`: an acquire gave up (timeout, `tryAcquire` found it held, aborted);
 * - `acquired`, `released`, `extended`, `waitStarted`, `waitEnded`: the life of every lock.
 * @publicApi
 */
export type LockLogEvent =
  | 'lost'
  | 'backendError'
  | 'replicaShortfall'
  | 'shutdownTimeout'
  | 'connection'
  | 'unavailable'
  | 'invalidKey'
  | 'acquireFailed'
  | 'acquired'
  | 'released'
  | 'extended'
  | 'waitStarted'
  | 'waitEnded';

/**
 * A level of Nest's `Logger` (`fatal`, `error`, `warn`, `log`, `debug`, `verbose`).
 * @publicApi
 */
export type LockLogLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/**
 * How much the module logs, through Nest's `Logger` with the context `RedisLock`:
 *
 * - `'quiet'` (the default): what needs a person, and nothing per lock. `lost`,
 *   `replicaShortfall`, `shutdownTimeout` and `invalidKey` at `warn`; `backendError`,
 *   `connection` and `unavailable` at `error` (a restored connection at `log`).
 * - `'verbose'`: `'quiet'`, plus `acquireFailed` at `log` and the life of every lock
 *   (`acquired`, `released`, `extended`, `waitStarted`, `waitEnded`) at `debug`.
 * - `'silent'`: nothing (events and OpenTelemetry still see everything).
 * - An object: a level (or `false` for nothing) per event, over `'quiet'`, for example
 *   `{ lost: 'error', acquireFailed: 'warn' }`.
 * @publicApi
 */
export type LockLoggingOptions =
  'quiet' | 'verbose' | 'silent' | Partial<Record<LockLogEvent, LockLogLevel | false>>;
