import { CallHandler, ExecutionContext, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, TimeoutError, catchError, throwError, timeout } from 'rxjs';
import { AppConfig } from '../../config/config';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';

const NO_DEADLINE = 'http:no-deadline';

/**
 * The test hooks that do the harness's own work (running every queued job, moving the clock) are
 * not requests of a client: a test that shortens the deadline must not make its setup fail.
 */
export const NoDeadline = () => SetMetadata(NO_DEADLINE, true);

/** Answers 504 request_timeout once a handler runs past REQUEST_TIMEOUT_MS. */
@Injectable()
export class TimeoutInterceptor implements NestInterceptor {
  constructor(
    private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.get<boolean | undefined>(NO_DEADLINE, context.getHandler())) return next.handle();
    return next.handle().pipe(
      timeout(this.config.requestTimeoutMs),
      catchError((err: unknown) =>
        throwError(() => (err instanceof TimeoutError ? new AppError(GeneralErrors.requestTimeout) : err)),
      ),
    );
  }
}
