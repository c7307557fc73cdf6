import { IntrinsicException } from '@nestjs/common';
import type { LockFailure } from './lock-failure.interface.js';

/**
 * The GraphQL answer to a lock failure: GraphQL servers copy `extensions` into the error the
 * client gets, so `extensions.code` is `CONFLICT`, `SERVICE_UNAVAILABLE` or `BAD_REQUEST`.
 *
 * An `IntrinsicException`: Nest does not log it (the lock error it stands for is logged by the
 * module, with its cause). Its stack is only its message: GraphQL servers that put stack traces
 * in their answers (Apollo outside production) would otherwise send the client ours.
 * @internal
 */
export class LockGraphQLError extends IntrinsicException {
  readonly extensions: { readonly code: LockFailure['code']; readonly retryAfter?: number };

  constructor(failure: LockFailure) {
    super(failure.message, { cause: failure.error });
    this.name = 'LockGraphQLError';
    this.extensions = {
      code: failure.code,
      ...(failure.retryAfter !== undefined && { retryAfter: failure.retryAfter }),
    };
    this.stack = failure.message;
  }
}
