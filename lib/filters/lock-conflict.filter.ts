import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LockTimeoutError } from '../core/errors/lock-timeout.error.js';

/**
 * Answers 409 Conflict for a `LockTimeoutError` that reaches an HTTP response from a service
 * method (decorated routes already answer 409 by themselves). Opt-in, for HTTP applications:
 *
 * @example
 * // main.ts
 * app.useGlobalFilters(new LockConflictFilter(app.get(HttpAdapterHost)));
 * @publicApi
 */
@Catch(LockTimeoutError)
export class LockConflictFilter implements ExceptionFilter<LockTimeoutError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: LockTimeoutError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const { httpAdapter } = this.adapterHost;
    httpAdapter.reply(
      host.switchToHttp().getResponse(),
      {
        statusCode: HttpStatus.CONFLICT,
        error: 'Conflict',
        message: `"${error.key}" is locked by another request; try again later.`,
      },
      HttpStatus.CONFLICT,
    );
  }
}
