import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { from, type Observable, throwError } from 'rxjs';
// rxjs exports its operators from the root only since 7.2; the peer range starts at 7.1.
import { catchError, mergeMap } from 'rxjs/operators';
import { LockEventLogger } from '../logging/lock-event-logger.js';
import type { ResolvedRedisLockModuleOptions } from '../options/resolve-module-options.js';
import { REDIS_LOCK_RESOLVED_OPTIONS } from '../redis-lock.internal-constants.js';
import { answerLockError, type LockAnswer, logLockAnswer } from './lock-error-answer.js';

/**
 * Registered by `RedisLockModule` for the whole application (`APP_INTERCEPTOR`): a lock error
 * that a controller, resolver, gateway or message handler lets through, from a decorated method
 * anywhere below it or from the service, becomes that transport's answer, so that the same
 * cause gets the same answer wherever the lock was taken. Other errors pass untouched.
 * @internal
 */
@Injectable()
export class LockExceptionsInterceptor implements NestInterceptor {
  private readonly log: LockEventLogger;

  constructor(
    @Inject(REDIS_LOCK_RESOLVED_OPTIONS) private readonly options: ResolvedRedisLockModuleOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.log = new LockEventLogger(options.logging);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) =>
        from(answerLockError(error, context, this.options.mapErrors)).pipe(
          mergeMap((answer) => {
            if (!answer) return throwError(() => error);
            this.deliver(answer, context);
            return throwError(() => answer.exception);
          }),
        ),
      ),
    );
  }

  private deliver(answer: LockAnswer, context: ExecutionContext): void {
    const handler = `${context.getClass().name}.${context.getHandler().name}()`;
    logLockAnswer(this.log, answer, context, handler);
    const { retryAfter } = answer.failure;
    const adapter = this.adapterHost.httpAdapter;
    if (answer.by === 'default' && retryAfter !== undefined && context.getType() === 'http') {
      // Set now, sent by whichever exception filter writes the response.
      adapter?.setHeader(context.switchToHttp().getResponse(), 'Retry-After', String(retryAfter));
    }
  }
}
