import type { ArgumentsHost } from '@nestjs/common';
import type { LockEventLogger } from '../logging/lock-event-logger.js';
import { classifyLockError } from './classify-lock-error.util.js';
import { describeCallSite } from './describe-call-site.util.js';
import type { MapLockErrors } from './lock-error-mapper.interface.js';
import { lockErrorOrigin } from './lock-error-origin.js';
import type { LockFailure } from './lock-failure.interface.js';
import { createTransportException } from './transport-exception.factory.js';

/**
 * How a lock error that reached a handler is answered.
 * @internal
 */
export interface LockAnswer {
  readonly failure: LockFailure;
  /** What to throw instead of the error. */
  readonly exception: unknown;
  /** Whether `exception` is the module's own answer (`default`) or a `mapErrors` function's. */
  readonly by: 'default' | 'mapper';
}

/**
 * The answer to `error` for the client of the handler `host` belongs to, or `undefined` when
 * the error is to stay as it is: not a lock failure a client should hear about, `mapErrors:
 * false` (the decorator's that threw it, or else the module's), or a context that no transport
 * of Nest's has. One mapping for every transport, the interceptor's and the filter's alike.
 * @internal
 */
export async function answerLockError(
  error: unknown,
  host: ArgumentsHost,
  moduleSetting: MapLockErrors,
): Promise<LockAnswer | undefined> {
  const failure = classifyLockError(error);
  if (!failure) return undefined;
  const setting = lockErrorOrigin(error)?.mapErrors ?? moduleSetting;
  if (setting === false) return undefined;
  if (typeof setting === 'function') {
    const exception = setting(failure, host);
    if (exception !== undefined) return { failure, exception, by: 'mapper' };
  }
  const exception = await createTransportException(failure, host.getType<string>());
  return exception === undefined ? undefined : { failure, exception, by: 'default' };
}

/**
 * Puts an answered failure in the log, with what the client did not get: the call, the
 * decorated method, the key, the placeholder and the cause. An outage at `unavailable` (error
 * by default), a key the arguments could not build at `invalidKey` (warn); contention is
 * `acquireFailed`'s, at `verbose` only.
 * @internal
 */
export function logLockAnswer(
  log: LockEventLogger,
  answer: LockAnswer,
  host: ArgumentsHost,
  handler?: string,
): void {
  const { failure } = answer;
  const origin = lockErrorOrigin(failure.error);
  const through =
    origin && !failure.error.message.includes(origin.method)
      ? `${origin.decorator} on ${origin.method}: `
      : '';
  const answered = answer.by === 'default' ? ` Answered ${failure.status} ${failure.code}.` : '';
  log.lockFailure(
    failure.kind,
    `${describeCallSite(host, handler)}: ${through}${failure.error.message}${answered}`,
  );
}
