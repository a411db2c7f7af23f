import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, TimeoutError, catchError, throwError, timeout } from 'rxjs';
import { AppConfig } from '../../config/config';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';

/** Answers 504 request_timeout once a handler runs past REQUEST_TIMEOUT_MS. */
@Injectable()
export class TimeoutInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      timeout(this.config.requestTimeoutMs),
      catchError((err: unknown) =>
        throwError(() => (err instanceof TimeoutError ? new AppError(GeneralErrors.requestTimeout) : err)),
      ),
    );
  }
}
