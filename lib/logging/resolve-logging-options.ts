import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { describeValue } from '../core/options/describe-value.util.js';
import type {
  LockLogEvent,
  LockLoggingOptions,
  LockLogLevel,
} from '../interfaces/lock-logging-options.interface.js';

/** The level of every loggable event (`false`: not logged); not part of the public API. */
export type ResolvedLockLogging = Readonly<Record<LockLogEvent, LockLogLevel | false>>;

const QUIET: ResolvedLockLogging = Object.freeze({
  lost: 'warn',
  backendError: 'error',
  replicaShortfall: 'warn',
  shutdownTimeout: 'warn',
  connection: 'error',
  unavailable: 'error',
  invalidKey: 'warn',
  acquireFailed: false,
  acquired: false,
  released: false,
  extended: false,
  waitStarted: false,
  waitEnded: false,
});

const PRESETS: Readonly<Record<'quiet' | 'verbose' | 'silent', ResolvedLockLogging>> = {
  quiet: QUIET,
  verbose: Object.freeze({
    ...QUIET,
    acquireFailed: 'log',
    acquired: 'debug',
    released: 'debug',
    extended: 'debug',
    waitStarted: 'debug',
    waitEnded: 'debug',
  }),
  silent: Object.freeze(
    Object.fromEntries(Object.keys(QUIET).map((event) => [event, false])) as Record<
      LockLogEvent,
      false
    >,
  ),
};

const EVENTS = Object.keys(QUIET) as LockLogEvent[];
const LEVELS: readonly LockLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Validates the module's `logging` option at bootstrap and gives the level of every event.
 * @internal
 */
export function resolveLockLogging(input: unknown): ResolvedLockLogging {
  if (input === undefined) return QUIET;
  if (typeof input === 'string') {
    if (input === 'quiet' || input === 'verbose' || input === 'silent') return PRESETS[input];
  } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const levels: Record<string, LockLogLevel | false> = { ...QUIET };
    for (const [event, level] of Object.entries(input as Exclude<LockLoggingOptions, string>)) {
      if (!(EVENTS as string[]).includes(event)) {
        throw new InvalidLockOptionsError(
          'logging',
          `Unknown logging event "${event}". Known events: ${EVENTS.join(', ')}.`,
        );
      }
      if (level !== false && !(LEVELS as unknown[]).includes(level)) {
        throw new InvalidLockOptionsError(
          'logging',
          `logging.${event} must be a Logger level (${LEVELS.join(', ')}) or false, but received ${describeValue(level)}.`,
        );
      }
      levels[event] = level;
    }
    return Object.freeze(levels as Record<LockLogEvent, LockLogLevel | false>);
  }
  throw new InvalidLockOptionsError(
    'logging',
    `RedisLockModule option logging must be 'quiet', 'verbose', 'silent' or an object of levels per event such as { lost: 'error' }, but received ${describeValue(input)}.`,
  );
}
