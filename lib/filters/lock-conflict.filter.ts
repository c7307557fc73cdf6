import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LOCK_FAILURE_ERRORS } from '../exceptions/classify-lock-error.util.js';
import { answerLockError, logLockAnswer } from '../exceptions/lock-error-answer.js';
import { resolveLockLogging } from '../logging/resolve-logging-options.js';
import { LockEventLogger } from '../logging/lock-event-logger.js';

/**
 * Answers an HTTP request with the module's answer to a lock error (see `LockFailure` for
 * which error gets which status and message) wherever the error was thrown, guards and pipes
 * included.
 *
 * Rarely needed: `RedisLockModule` already answers every lock error that a controller (or a
 * resolver, gateway, message handler) lets through. Register it for lock errors thrown outside
 * handlers (a guard that takes a lock), or with `mapErrors: false` to get the HTTP answers only.
 *
 * @example
 * // main.ts
 * app.useGlobalFilters(new LockConflictFilter(app.get(HttpAdapterHost)));
 * @publicApi
 */
@Catch(...LOCK_FAILURE_ERRORS)
export class LockConflictFilter implements ExceptionFilter<Error> {
  private readonly log = new LockEventLogger(resolveLockLogging(undefined));

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async catch(error: Error, host: ArgumentsHost): Promise<void> {
    if (host.getType() !== 'http') throw error;
    // Registered by hand: it answers even when the module leaves the error as it is.
    const answer = await answerLockError(error, host, true);
    if (!answer || !(answer.exception instanceof HttpException)) throw error;
    logLockAnswer(this.log, answer, host);
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    const { retryAfter } = answer.failure;
    if (retryAfter !== undefined) {
      httpAdapter.setHeader(response, 'Retry-After', String(retryAfter));
    }
    httpAdapter.reply(response, answer.exception.getResponse(), answer.exception.getStatus());
  }
}
